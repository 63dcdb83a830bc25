INSERT INTO floor_rows SELECT md5(n::text) || md5((n + 1)::text), 'new', repeat('x', 200) FROM (SELECT nextval('floor_seq') AS n FROM generate_series(1, 64)) s;
