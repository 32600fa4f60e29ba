-- Coupon definitions: the source of truth the sale state in Redis is written from.
-- Rows are never removed: a deleted coupon keeps its row (deleted_at) for the orders that name it.
CREATE TABLE IF NOT EXISTS coupons (
  id CHAR(26) NOT NULL,
  name VARCHAR(100) NOT NULL,
  type ENUM('seckill', 'normal') NOT NULL,
  face_value_cents INT UNSIGNED NOT NULL,
  min_spend_cents INT UNSIGNED NOT NULL DEFAULT 0,
  valid_days SMALLINT UNSIGNED NOT NULL,
  per_user_limit SMALLINT UNSIGNED NOT NULL,
  total_stock INT UNSIGNED NOT NULL,
  start_at TIMESTAMP(3) NULL DEFAULT NULL,
  end_at TIMESTAMP(3) NULL DEFAULT NULL,
  status ENUM('active', 'inactive') NOT NULL DEFAULT 'active',
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  deleted_at TIMESTAMP(3) NULL DEFAULT NULL,
  PRIMARY KEY (id),
  -- The listing: live coupons by id (ULID, so newest first when read descending).
  KEY idx_coupons_listing (deleted_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
