-- Cluster bus: nothing on SQLite (one node, no bus). The version number
-- stays aligned with the PostgreSQL tree.
SELECT 1;
