\set s random(1, :maxid - 64)
UPDATE floor_rows SET state = 'done' WHERE id = ANY(ARRAY(SELECT md5(g::text) || md5((g + 1)::text) FROM generate_series(:s, :s + 63) g));
