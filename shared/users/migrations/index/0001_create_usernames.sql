-- One row per username across every user shard: the UNIQUE key that keeps usernames unique.
CREATE TABLE IF NOT EXISTS usernames (
  username VARCHAR(32) NOT NULL,
  user_id CHAR(26) NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (username),
  UNIQUE KEY uk_usernames_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
