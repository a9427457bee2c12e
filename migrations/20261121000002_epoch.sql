-- The leader epoch a record was written under (the Kafka record header `sr-leader-epoch`),
-- NULL when the writer set none (the embedded store, Confluent, Karapace). Replay needs it
-- to refuse records of a deposed leader exactly as when reading the topic.
ALTER TABLE records ADD COLUMN epoch INTEGER;
ALTER TABLE superseded ADD COLUMN epoch INTEGER;
