\timing on
SET app.x = '1';
\echo == Q1 slots: n1>=900000 count + page 41 (50/page) desc
SELECT count(*) FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND n1 >= 900000;
SELECT id, title, n1 FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND n1 >= 900000 ORDER BY n1 DESC, id LIMIT 50 OFFSET 2000 \g /dev/null
SELECT count(*) FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND n1 >= 900000;
SELECT id, title, n1 FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND n1 >= 900000 ORDER BY n1 DESC, id LIMIT 50 OFFSET 2000 \g /dev/null
\echo == Q1 EAV
SELECT count(*) FROM m_idx WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND field_id=1 AND num >= 900000;
SELECT r.id, r.title, i.num FROM m_idx i JOIN m_rec r ON r.tenant_id=i.tenant_id AND r.id=i.record_id WHERE i.tenant_id='00000000-0000-0000-0000-000000000001' AND i.entity_type_id='00000000-0000-0000-0000-0000000000e1' AND i.field_id=1 AND i.num >= 900000 ORDER BY i.num DESC, i.record_id LIMIT 50 OFFSET 2000 \g /dev/null
SELECT count(*) FROM m_idx WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND field_id=1 AND num >= 900000;
SELECT r.id, r.title, i.num FROM m_idx i JOIN m_rec r ON r.tenant_id=i.tenant_id AND r.id=i.record_id WHERE i.tenant_id='00000000-0000-0000-0000-000000000001' AND i.entity_type_id='00000000-0000-0000-0000-0000000000e1' AND i.field_id=1 AND i.num >= 900000 ORDER BY i.num DESC, i.record_id LIMIT 50 OFFSET 2000 \g /dev/null
\echo == Q1 JSON
SELECT count(*) FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND (field_values->>'weighted')::numeric >= 900000;
\echo == Q2 slots: t1='web' order by d1 desc page 1
SELECT id, title FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND t1='web' ORDER BY d1 DESC, id LIMIT 50 \g /dev/null
SELECT id, title FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' AND t1='web' ORDER BY d1 DESC, id LIMIT 50 \g /dev/null
\echo == Q2 EAV
SELECT r.id, r.title FROM m_idx d JOIN m_rec r ON r.tenant_id=d.tenant_id AND r.id=d.record_id WHERE d.tenant_id='00000000-0000-0000-0000-000000000001' AND d.entity_type_id='00000000-0000-0000-0000-0000000000e1' AND d.field_id=3 AND d.dt IS NOT NULL AND EXISTS (SELECT 1 FROM m_idx s WHERE s.tenant_id=d.tenant_id AND s.entity_type_id=d.entity_type_id AND s.field_id=4 AND s.txt='web' AND s.record_id=d.record_id) ORDER BY d.dt DESC, d.record_id LIMIT 50 \g /dev/null
SELECT r.id, r.title FROM m_idx d JOIN m_rec r ON r.tenant_id=d.tenant_id AND r.id=d.record_id WHERE d.tenant_id='00000000-0000-0000-0000-000000000001' AND d.entity_type_id='00000000-0000-0000-0000-0000000000e1' AND d.field_id=3 AND d.dt IS NOT NULL AND EXISTS (SELECT 1 FROM m_idx s WHERE s.tenant_id=d.tenant_id AND s.entity_type_id=d.entity_type_id AND s.field_id=4 AND s.txt='web' AND s.record_id=d.record_id) ORDER BY d.dt DESC, d.record_id LIMIT 50 \g /dev/null
\echo == Q3 slots group by t1 sum amount
SELECT t1, sum(amount), count(*) FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' GROUP BY t1 \g /dev/null
SELECT t1, sum(amount), count(*) FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' GROUP BY t1 \g /dev/null
\echo == Q3 EAV
SELECT i.txt, sum(r.amount), count(*) FROM m_idx i JOIN m_rec r ON r.tenant_id=i.tenant_id AND r.id=i.record_id WHERE i.tenant_id='00000000-0000-0000-0000-000000000001' AND i.entity_type_id='00000000-0000-0000-0000-0000000000e1' AND i.field_id=4 GROUP BY i.txt \g /dev/null
SELECT i.txt, sum(r.amount), count(*) FROM m_idx i JOIN m_rec r ON r.tenant_id=i.tenant_id AND r.id=i.record_id WHERE i.tenant_id='00000000-0000-0000-0000-000000000001' AND i.entity_type_id='00000000-0000-0000-0000-0000000000e1' AND i.field_id=4 GROUP BY i.txt \g /dev/null
\echo == Q3 JSON
SELECT field_values->>'source', sum(amount), count(*) FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND entity_type_id='00000000-0000-0000-0000-0000000000e1' GROUP BY 1 \g /dev/null
