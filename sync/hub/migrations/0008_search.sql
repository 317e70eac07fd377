-- 0008: free-text search in the staff inbox. search_words holds the folded
-- words a dossier is found by (its code, the applicant's name, the
-- procedure's name and code), folded in Go by app/vntext exactly as the
-- desk folds them, so "nguyen van a" finds "Nguyễn Văn A". PostgreSQL has
-- no such folding without an extension (unaccent), and its rules would drift
-- from the desk's: the backfill of existing rows runs in Go, in this
-- migration's transaction (migrate.go, backfillSearchWords). The GIN index
-- answers whole words; the word still being typed is matched as a prefix on
-- the rows those words (and the scope) leave.
ALTER TABLE dossiers ADD COLUMN search_words text[] NOT NULL DEFAULT '{}';
CREATE INDEX dossiers_search ON dossiers USING gin (search_words);
