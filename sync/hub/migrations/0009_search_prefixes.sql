-- 0009: search_words also holds every prefix of each word, marked with a
-- leading ">" (sync/hub/search.go, prefixMark), so that the word an official
-- is still typing is found through the GIN index of 0008 like the others,
-- instead of by unnesting the words of every dossier in scope (0.3–0.9 s for
-- one rare word over a province of 300,000 dossiers). The Go step of this
-- migration fills the column again with the new rule (migrate.go).
SELECT 1;
