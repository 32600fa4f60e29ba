-- Ids compared byte for byte. Every string key of an order is an ASCII id: order and coupon ids
-- are ULIDs, grab ids `<couponId>_<ULID>`, and user ids come from verified tokens and grab events,
-- both of which accept only `[0-9A-Za-z_-]{1,64}` (shared/auth claims, shared/events catalog).
-- Under the table's utf8mb4_unicode_ci every insert and lookup compared these keys with the Unicode
-- collation algorithm in six indexes: about a fifth of MariaDB's CPU per order written in a batch
-- (docs/performance.md). ascii_bin compares bytes (memcmp) and stores CHAR(26) in 26 bytes.
--
-- Binary also means case-sensitive, which is what the ids are: user `abc` and user `ABC` are two
-- users (two tokens, two sets of Redis keys), so they no longer collide on
-- UNIQUE (user_id, coupon_id, seq) nor read each other's orders; order and coupon ids are matched
-- as the API accepts them (upper-case ULIDs only). Uniqueness can only get looser, never stricter,
-- so converting existing rows cannot meet a duplicate; a value that is not ASCII (none can be
-- written through the API) makes the ALTER fail instead of being changed (strict mode).
--
-- Cost: changing the charset of indexed columns rebuilds each table (MariaDB allows only
-- ALGORITHM=COPY here: every row and index is rewritten, and writes to the table wait until it is
-- done). On the make bench MariaDB a table of 200,000 orders took 1.8 s; one larger than the buffer
-- pool takes longer. Apply it between sales, not during one.
ALTER TABLE orders_{{n}}
  MODIFY id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY grab_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY coupon_id CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
