-- A sample database for the quick start (scripts/quickstart.sh), generated
-- here so that the repository needs nothing else: an online store in six
-- tables, about 300,000 rows, with the column types MySQL users meet most
-- (integers signed and unsigned, DECIMAL, FLOAT/DOUBLE, CHAR/VARCHAR/TEXT in
-- utf8mb4 with characters outside the BMP, ENUM, SET, BIT, YEAR, DATE, TIME,
-- DATETIME and TIMESTAMP with fractions, JSON, BLOB/VARBINARY, NULLs), a
-- composite primary key and secondary indexes. Rows come from MariaDB's
-- SEQUENCE engine (seq_1_to_N), so every load gives the same data.
--
--   mariadb < examples/sample-store.sql

SET NAMES utf8mb4;
DROP DATABASE IF EXISTS store;
CREATE DATABASE store CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE store;

CREATE TABLE customers (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(100) NOT NULL,
  full_name VARCHAR(80) NOT NULL,
  country CHAR(2) NOT NULL,
  tier ENUM('free', 'pro', 'enterprise') NOT NULL DEFAULT 'free',
  tags SET('new', 'vip', 'churn-risk') NOT NULL DEFAULT '',
  born DATE NULL,
  signup_at DATETIME(3) NOT NULL,
  last_seen TIMESTAMP NULL,
  credit DECIMAL(12, 2) NOT NULL DEFAULT 0,
  active BIT(1) NOT NULL DEFAULT b'1',
  note TEXT NULL,
  UNIQUE KEY (email),
  KEY (country, tier)
);

CREATE TABLE products (
  id INT NOT NULL PRIMARY KEY,
  sku VARCHAR(32) NOT NULL,
  name VARCHAR(120) NOT NULL,
  price DECIMAL(10, 2) NOT NULL,
  weight_kg FLOAT NULL,
  rating DOUBLE NULL,
  attrs JSON NULL,
  launched YEAR NULL,
  thumbnail BLOB NULL,
  created_at DATETIME NOT NULL,
  UNIQUE KEY (sku)
);

CREATE TABLE orders (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  status ENUM('placed', 'paid', 'shipped', 'delivered', 'returned') NOT NULL,
  total DECIMAL(14, 2) NOT NULL,
  placed_at DATETIME(6) NOT NULL,
  ship_window TIME NULL,
  coupon VARCHAR(16) NULL,
  KEY (customer_id),
  KEY (placed_at)
);

CREATE TABLE order_items (
  order_id BIGINT UNSIGNED NOT NULL,
  line SMALLINT NOT NULL,
  product_id INT NOT NULL,
  qty TINYINT UNSIGNED NOT NULL,
  unit_price DECIMAL(10, 2) NOT NULL,
  PRIMARY KEY (order_id, line),
  KEY (product_id)
);

CREATE TABLE events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(20) NOT NULL,
  customer_id INT UNSIGNED NULL,
  payload JSON NOT NULL,
  client_ip VARBINARY(16) NULL,
  duration_ms MEDIUMINT NULL,
  at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY (kind, at)
);

CREATE TABLE settings (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value VARCHAR(255) NOT NULL,
  updated_at DATETIME NOT NULL
);

-- Timestamps are written in UTC, whatever the server's zone.
SET time_zone = '+00:00';

INSERT INTO customers (id, email, full_name, country, tier, tags, born, signup_at, last_seen, credit, active, note)
SELECT seq,
       CONCAT('customer', seq, '@example.com'),
       CONCAT(ELT(1 + seq % 6, 'Ana', 'Björn', 'Chloé', 'Dmitri', '美咲', 'Zoë'), ' ',
              ELT(1 + seq % 5, 'Silva', 'Nakamura', 'O''Brien', 'Müller', 'Ngũgĩ')),
       ELT(1 + seq % 7, 'BR', 'JP', 'IE', 'DE', 'KE', 'US', 'CN'),
       ELT(1 + seq % 10 DIV 7, 'free', 'pro', 'enterprise'),
       CASE seq % 5 WHEN 0 THEN 'new' WHEN 1 THEN 'vip,new' WHEN 2 THEN 'churn-risk' ELSE '' END,
       IF(seq % 9 = 0, NULL, DATE('1950-01-01') + INTERVAL (seq * 37) % 20000 DAY),
       TIMESTAMP('2020-01-01 00:00:00') + INTERVAL seq * 3907 SECOND + INTERVAL seq % 1000 * 1000 MICROSECOND,
       IF(seq % 4 = 0, NULL, TIMESTAMP('2024-01-01 00:00:00') + INTERVAL seq * 601 SECOND),
       (seq % 100000) / 100,
       seq % 13 <> 0,
       IF(seq % 3 = 0, CONCAT('likes 🚲 and ☕; customer since ', 2020 + seq % 5), NULL)
FROM seq_1_to_20000;

INSERT INTO products (id, sku, name, price, weight_kg, rating, attrs, launched, thumbnail, created_at)
SELECT seq,
       CONCAT('SKU-', LPAD(seq, 6, '0')),
       CONCAT(ELT(1 + seq % 5, 'Desk lamp', 'Water bottle', 'Notebook', 'Headphones', 'Tea set'), ' #', seq),
       (seq * 7919 % 50000) / 100 + 1,
       IF(seq % 11 = 0, NULL, (seq % 500) / 37),
       IF(seq % 17 = 0, NULL, 1 + (seq % 400) / 100),
       JSON_OBJECT('color', ELT(1 + seq % 4, 'red', 'green', 'blue', 'black'), 'sizes', JSON_ARRAY(seq % 3, seq % 5),
                   'fragile', seq % 2 = 0),
       IF(seq % 8 = 0, NULL, 2000 + seq % 25),
       IF(seq % 6 = 0, NULL, UNHEX(LPAD(HEX(seq * 2654435761 % 4294967296), 16, '0'))),
       TIMESTAMP('2019-06-01 08:00:00') + INTERVAL seq * 4001 SECOND
FROM seq_1_to_2000;

INSERT INTO orders (id, customer_id, status, total, placed_at, ship_window, coupon)
SELECT seq,
       1 + seq * 7 % 20000,
       ELT(1 + seq % 5, 'placed', 'paid', 'shipped', 'delivered', 'returned'),
       (seq * 104729 % 1000000) / 100,
       TIMESTAMP('2023-01-01 00:00:00') + INTERVAL seq * 157 SECOND + INTERVAL seq % 999983 MICROSECOND,
       IF(seq % 6 = 0, NULL, SEC_TO_TIME(28800 + seq % 36000)),
       IF(seq % 10 = 0, CONCAT('SAVE', seq % 30), NULL)
FROM seq_1_to_100000;

INSERT INTO order_items (order_id, line, product_id, qty, unit_price)
SELECT o.seq, l.seq, 1 + (o.seq * 31 + l.seq * 17) % 2000, 1 + (o.seq + l.seq) % 9, (o.seq * l.seq * 13 % 20000) / 100 + 1
FROM seq_1_to_100000 o JOIN seq_1_to_3 l ON l.seq <= 1 + o.seq % 3;

INSERT INTO events (id, kind, customer_id, payload, client_ip, duration_ms, at)
SELECT seq,
       ELT(1 + seq % 4, 'login', 'search', 'view', 'checkout'),
       IF(seq % 5 = 0, NULL, 1 + seq % 20000),
       JSON_OBJECT('q', IF(seq % 4 = 1, CONCAT('term ', seq % 97), NULL), 'page', seq % 40, 'ok', seq % 19 <> 0),
       IF(seq % 7 = 0, NULL, INET6_ATON(CONCAT('10.', seq % 256, '.', seq DIV 256 % 256, '.', seq % 251))),
       IF(seq % 3 = 0, NULL, seq % 8000),
       TIMESTAMP('2024-06-01 00:00:00') + INTERVAL seq * 53 SECOND + INTERVAL seq % 997 * 1000 MICROSECOND
FROM seq_1_to_30000;

INSERT INTO settings VALUES
  ('currency', 'EUR', '2024-01-01 00:00:00'),
  ('free_shipping_over', '49.00', '2024-02-01 12:00:00'),
  ('support_email', 'help@example.com', '2024-03-01 09:30:00'),
  ('banner', 'Sommer-Sale ☀️ bis 30 %', '2024-06-01 00:00:00');
