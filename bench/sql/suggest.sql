-- GET /api/v1/search/suggest?q= : the prefix statement of suggest::suggest_terms, then (when the
-- prefix gives fewer than 8) the containing one, for one of the seven prefixes of bench/run.sh.
\set w random(0, 6)
SELECT term AS text, kind, uses FROM search_terms WHERE search_fold(term) LIKE search_fold((ARRAY['空', '小', '洗', '保洁', '火', '山城', '清'])[:w + 1]) || '%' ORDER BY uses DESC, term LIMIT 8;
SELECT term AS text, kind, uses FROM search_terms WHERE search_grams(term) @> search_grams(search_fold((ARRAY['空', '小', '洗', '保洁', '火', '山城', '清'])[:w + 1])) AND strpos(search_fold(term), search_fold((ARRAY['空', '小', '洗', '保洁', '火', '山城', '清'])[:w + 1])) > 1 ORDER BY uses DESC, term LIMIT 8;
