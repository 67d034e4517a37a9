\timing on
DROP TABLE IF EXISTS m_rec, m_idx;
CREATE TABLE m_rec (tenant_id uuid, id uuid, entity_type_id uuid, title text, amount numeric, field_values jsonb,
  n1 numeric, n2 numeric, n3 numeric, n4 numeric, d1 date, d2 date, t1 text, t2 text, t3 text, t4 text, b1 boolean,
  PRIMARY KEY (tenant_id, id));
INSERT INTO m_rec (tenant_id, id, entity_type_id, title, amount, field_values, n1, d1, t1, n2, t2)
SELECT t, gen_random_uuid(), e, 'deal ' || i, a, jsonb_build_object('weighted', w, 'source', s, 'close', d::text, 'n2', (i % 997), 'txt', 'name ' || (i % 5000)),
  w, d, s, (i % 997), 'name ' || (i % 5000)
FROM (SELECT i,
  CASE WHEN i <= 1000000 THEN '00000000-0000-0000-0000-000000000001'::uuid ELSE ('00000000-0000-0000-0000-' || lpad(to_hex(2 + (i % 99)), 12, '0'))::uuid END t,
  '00000000-0000-0000-0000-0000000000e1'::uuid e,
  round((random()*1000000)::numeric, 2) a, round((random()*1000000)::numeric, 2) w,
  (ARRAY['web','ads','referral','event','partner','call','mail','social','expo','other'])[1 + (i % 10)] s,
  date '2024-01-01' + (random()*1000)::int d
  FROM generate_series(1, 1200000) i) x;
CREATE INDEX ON m_rec (tenant_id, entity_type_id, n1) WHERE n1 IS NOT NULL;
CREATE INDEX ON m_rec (tenant_id, entity_type_id, n2) WHERE n2 IS NOT NULL;
CREATE INDEX ON m_rec (tenant_id, entity_type_id, d1) WHERE d1 IS NOT NULL;
CREATE INDEX ON m_rec (tenant_id, entity_type_id, t1) WHERE t1 IS NOT NULL;
CREATE INDEX ON m_rec (tenant_id, entity_type_id, t2) WHERE t2 IS NOT NULL;
CREATE TABLE m_idx (tenant_id uuid, entity_type_id uuid, field_id int, num numeric, dt date, txt text, bool boolean, record_id uuid);
INSERT INTO m_idx SELECT tenant_id, entity_type_id, 1, n1, null, null, null, id FROM m_rec;
INSERT INTO m_idx SELECT tenant_id, entity_type_id, 2, n2, null, null, null, id FROM m_rec;
INSERT INTO m_idx SELECT tenant_id, entity_type_id, 3, null, d1, null, null, id FROM m_rec;
INSERT INTO m_idx SELECT tenant_id, entity_type_id, 4, null, null, t1, null, id FROM m_rec;
INSERT INTO m_idx SELECT tenant_id, entity_type_id, 5, null, null, t2, null, id FROM m_rec;
CREATE INDEX ON m_idx (tenant_id, entity_type_id, field_id, num, record_id) WHERE num IS NOT NULL;
CREATE INDEX ON m_idx (tenant_id, entity_type_id, field_id, dt, record_id) WHERE dt IS NOT NULL;
CREATE INDEX ON m_idx (tenant_id, entity_type_id, field_id, txt, record_id) WHERE txt IS NOT NULL;
CREATE INDEX ON m_idx (tenant_id, record_id);
VACUUM ANALYZE m_rec; VACUUM ANALYZE m_idx;
