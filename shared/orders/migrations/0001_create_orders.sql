-- One table per shard slot: `orders_{{n}}` is rendered for n = 0 … tablesPerDatabase-1.
CREATE TABLE IF NOT EXISTS orders_{{n}} (
  id CHAR(26) NOT NULL,
  grab_id VARCHAR(64) NOT NULL,
  user_id VARCHAR(64) NOT NULL,
  coupon_id CHAR(26) NOT NULL,
  seq INT UNSIGNED NOT NULL,
  status ENUM('UNUSED', 'USED', 'CANCELLED', 'EXPIRED') NOT NULL DEFAULT 'UNUSED',
  face_value_cents INT UNSIGNED NOT NULL,
  min_spend_cents INT UNSIGNED NOT NULL,
  valid_until TIMESTAMP(3) NOT NULL,
  accepted_at TIMESTAMP(3) NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  -- A redelivered event finds its order instead of writing a second one.
  UNIQUE KEY uk_orders_{{n}}_grab (grab_id),
  -- A user's n-th grab of a coupon has at most one order, whatever the event says.
  UNIQUE KEY uk_orders_{{n}}_user_seq (user_id, coupon_id, seq),
  KEY ix_orders_{{n}}_user (user_id, id),
  KEY ix_orders_{{n}}_coupon (coupon_id, status),
  KEY ix_orders_{{n}}_expiry (status, valid_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
