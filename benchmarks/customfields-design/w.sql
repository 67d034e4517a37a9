\timing on
CREATE TEMP TABLE ids AS SELECT id FROM m_rec WHERE tenant_id='00000000-0000-0000-0000-000000000001' LIMIT 2000;
\echo json only (2000 updates)
DO $$ DECLARE r record; BEGIN FOR r IN SELECT id FROM ids LOOP UPDATE m_rec SET field_values = field_values || '{"x":1}' WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND id=r.id; END LOOP; END $$;
\echo json + 5 slots (2000 updates)
DO $$ DECLARE r record; BEGIN FOR r IN SELECT id FROM ids LOOP UPDATE m_rec SET field_values = field_values || '{"x":2}', n1 = n1 + 1, n2 = n2 + 1, d1 = d1 + 1, t1 = t1 || 'x', t2 = t2 || 'x' WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND id=r.id; END LOOP; END $$;
\echo EAV: json + delete/insert 5 index rows (2000 updates)
DO $$ DECLARE r record; BEGIN FOR r IN SELECT id FROM ids LOOP UPDATE m_rec SET field_values = field_values || '{"x":3}' WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND id=r.id;
  DELETE FROM m_idx WHERE tenant_id='00000000-0000-0000-0000-000000000001' AND record_id=r.id;
  INSERT INTO m_idx VALUES ('00000000-0000-0000-0000-000000000001','00000000-0000-0000-0000-0000000000e1',1,1,null,null,null,r.id),('00000000-0000-0000-0000-000000000001','00000000-0000-0000-0000-0000000000e1',2,2,null,null,null,r.id),('00000000-0000-0000-0000-000000000001','00000000-0000-0000-0000-0000000000e1',3,null,'2025-01-01',null,null,r.id),('00000000-0000-0000-0000-000000000001','00000000-0000-0000-0000-0000000000e1',4,null,null,'web',null,r.id),('00000000-0000-0000-0000-000000000001','00000000-0000-0000-0000-0000000000e1',5,null,null,'n',null,r.id);
  END LOOP; END $$;
