-- A post's lasting identity as Ghost front ends know it (`uuid`), random, made once.
ALTER TABLE posts ADD COLUMN uuid TEXT;
UPDATE posts SET uuid = gen_random_uuid()::text;
CREATE UNIQUE INDEX posts_uuid ON posts (uuid);
