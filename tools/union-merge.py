#!/usr/bin/env python3
"""Resolves git conflicts where both sides only added lines (resx entries, appended docs, marker classes):
keeps both sides, drops the markers. For .resx files the entries are then de-duplicated and sorted.
usage: tools/union-merge.py FILE [FILE ...]"""
import sys, re, subprocess

for path in sys.argv[1:]:
    lines = open(path, encoding='utf-8').read().split('\n')
    out = [l for l in lines if not re.match(r'^(<<<<<<<|=======|>>>>>>>)( |$)', l)]
    open(path, 'w', encoding='utf-8').write('\n'.join(out))
for path in sys.argv[1:]:
    if path.endswith('.resx'):
        base = path[:-len('.resx')]
        base = base[:-len('.zh-CN')] if base.endswith('.zh-CN') else base
        subprocess.run([sys.executable, __file__.replace('union-merge.py', 'resx.py'), base], input='', text=True, check=True)
    print('resolved', path)
