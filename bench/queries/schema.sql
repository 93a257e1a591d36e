CREATE SOURCE f USING file OPTIONS ('path' = '${BENCH_DATA}');
CREATE STREAM tx FROM f FORMAT json SCHEMA (
  transaction_id STRING, card_number STRING, card_brand STRING, customer_name STRING,
  amount DOUBLE, currency STRING, merchant STRING, category STRING, city STRING, state STRING,
  status STRING, installments INT, event_time TIMESTAMP);
