-- When each record was written (ms since the Unix epoch): the embedded store's clock at
-- the append, or the Kafka record's timestamp in the cache. Confluent 8 answers it as `ts`
-- on versions and schemas (SchemaValue's timestamp, overwritten from the record when read).
-- NULL for rows written before this column existed: `ts` is then left out of answers.
ALTER TABLE records ADD COLUMN ts INTEGER;
ALTER TABLE superseded ADD COLUMN ts INTEGER;
