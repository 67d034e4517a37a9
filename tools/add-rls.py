#!/usr/bin/env python3
"""Appends row-level security for new tenant tables to a PostgreSQL migration.
usage: tools/add-rls.py src/Crm.Migrations.Postgres/Migrations/<name>.cs table [table ...]"""
import sys, re
path, tables = sys.argv[1], sys.argv[2:]
s = open(path, encoding='utf-8').read()
args = ', '.join(f'"{t}"' for t in tables)
if 'using Crm.Core.Data;' not in s:
    s = 'using Crm.Core.Data;\n' + s
down = s.index('protected override void Down(MigrationBuilder migrationBuilder)')
up_body_end = s.rindex('        }', 0, down)
s = s[:up_body_end] + f'\n            migrationBuilder.EnableTenantRowLevelSecurity({args});\n' + s[up_body_end:]
down = s.index('protected override void Down(MigrationBuilder migrationBuilder)')
brace = s.index('{', down)
s = s[:brace+1] + f'\n            migrationBuilder.DisableTenantRowLevelSecurity({args});\n' + s[brace+1:]
open(path, 'w', encoding='utf-8').write(s)
