-- Directory and names. One direct conversation per pair of people: the
-- pair (the two user ids, sorted, joined by ':') names the conversation.
-- Existing direct conversations are claimed oldest first, so a pair that
-- already had several keeps its first.
CREATE TABLE direct_pairs (
    pair            TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL UNIQUE REFERENCES conversations(id)
);

INSERT INTO direct_pairs (pair, conversation_id)
SELECT pair, id FROM (
    SELECT c.id AS id, c.created_at AS created_at,
           (SELECT MIN(m.user_id) FROM conversation_members m WHERE m.conversation_id = c.id)
           || ':' ||
           (SELECT MAX(m.user_id) FROM conversation_members m WHERE m.conversation_id = c.id) AS pair
    FROM conversations c
    WHERE c.kind = 'direct' AND c.erased_at IS NULL
) AS d
WHERE pair IS NOT NULL
ORDER BY created_at, id
ON CONFLICT (pair) DO NOTHING;

-- Bumped whenever a user's name, role or status changes, so every node's
-- in-memory directory (names are encrypted at rest) knows to reload.
INSERT INTO meta (key, value) VALUES ('directory_version', '1')
ON CONFLICT (key) DO NOTHING;
