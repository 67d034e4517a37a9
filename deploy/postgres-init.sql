-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d).
-- The app connects as "crm": it owns its tables but is no superuser and has no BYPASSRLS, so the
-- FORCE ROW LEVEL SECURITY policies of the migrations apply to every query it sends.
CREATE ROLE crm LOGIN PASSWORD 'crm' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE crm OWNER crm;
