-- Search (issue 17): character unigrams and bigrams for one- and two-character queries, pg_trgm
-- for three and more, over merchant names, service names and descriptions; the suggestion terms;
-- and an index of each merchant's service area for discovery and search with a point.
--
-- The grams are an expression index over search_grams(...), which PostgreSQL keeps up to date on
-- every write, so no write path can forget them. pg_trgm needs a UTF-8 LC_CTYPE for Chinese text
-- (with C every trigram is empty); the scripts create their databases with C.UTF-8.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The text as search compares it: lower case, without spaces and punctuation.
CREATE FUNCTION search_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(lower(t), '[[:space:][:punct:]]+', '', 'g');

-- Every character and every pair of adjacent characters of the folded text, deduplicated.
CREATE FUNCTION search_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (SELECT search_fold(t) AS s) f,
         LATERAL (SELECT substr(f.s, i, 1) AS g FROM generate_series(1, char_length(f.s)) i
                  UNION ALL
                  SELECT substr(f.s, i, 2) FROM generate_series(1, char_length(f.s) - 1) i) grams;
END;

CREATE INDEX merchants_name_grams_idx ON merchants USING gin (search_grams(display_name))
    WHERE status = 'approved';
CREATE INDEX merchants_name_trgm_idx ON merchants USING gin (search_fold(display_name) gin_trgm_ops)
    WHERE status = 'approved';
CREATE INDEX services_text_grams_idx ON services USING gin (search_grams(name || ' ' || description))
    WHERE active;
CREATE INDEX services_text_trgm_idx ON services USING gin (search_fold(name || ' ' || description) gin_trgm_ops)
    WHERE active;

-- Each approved merchant's service area as a box, to find the merchants whose area covers a point
-- without walking every merchant within 30 km (docs/discovery.md, fix (x3)).
CREATE INDEX merchants_area_idx ON merchants
    USING gist (earth_box(ll_to_earth(lat, lng), service_radius_m)) WHERE status = 'approved';

-- Suggestions: the distinct names of approved merchants and of active services, with how many
-- use each, kept by the triggers below.
CREATE TABLE search_terms (
    term  text NOT NULL,
    kind  text NOT NULL CHECK (kind IN ('merchant', 'service')),
    uses  integer NOT NULL CHECK (uses > 0),
    PRIMARY KEY (term, kind)
);
CREATE INDEX search_terms_prefix_idx ON search_terms (search_fold(term) text_pattern_ops, uses DESC);
CREATE INDEX search_terms_grams_idx ON search_terms USING gin (search_grams(term));

CREATE FUNCTION search_term_count(t text, k text, delta integer) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF delta > 0 THEN
        INSERT INTO search_terms (term, kind, uses) VALUES (t, k, delta)
        ON CONFLICT (term, kind) DO UPDATE SET uses = search_terms.uses + EXCLUDED.uses;
    ELSE
        UPDATE search_terms SET uses = uses + delta WHERE term = t AND kind = k AND uses + delta > 0;
        IF NOT FOUND THEN
            DELETE FROM search_terms WHERE term = t AND kind = k;
        END IF;
    END IF;
END $$;

CREATE FUNCTION search_terms_of_merchants() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'approved' THEN
        PERFORM search_term_count(OLD.display_name, 'merchant', -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'approved' THEN
        PERFORM search_term_count(NEW.display_name, 'merchant', 1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION search_terms_of_services() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.active THEN
        PERFORM search_term_count(OLD.name, 'service', -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.active THEN
        PERFORM search_term_count(NEW.name, 'service', 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER merchants_search_terms AFTER INSERT OR DELETE OR UPDATE OF status, display_name
    ON merchants FOR EACH ROW EXECUTE FUNCTION search_terms_of_merchants();
CREATE TRIGGER services_search_terms AFTER INSERT OR DELETE OR UPDATE OF active, name
    ON services FOR EACH ROW EXECUTE FUNCTION search_terms_of_services();

INSERT INTO search_terms (term, kind, uses)
SELECT display_name, 'merchant', count(*) FROM merchants WHERE status = 'approved' GROUP BY display_name;
INSERT INTO search_terms (term, kind, uses)
SELECT name, 'service', count(*) FROM services WHERE active GROUP BY name;
