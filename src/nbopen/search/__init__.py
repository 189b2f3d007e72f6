"""Discovery: one search service over repositories, organizations and users.

For callers (web pages, the Hub API's ``list_models``/``list_datasets``, suggestions)::

    from nbopen.search.services import search, suggest

    result = search(
        principal=principal,          # from the request; privacy is applied inside the SQL
        q="港口调度",                   # Chinese, English, mixed; typos and prefixes tolerated
        types=["model"],              # model | dataset | code | org | user (none = all)
        filters={"task": ["object-detection"], "hardware": ["ascend"], "tag": ["pytorch"]},
        sort="relevance",             # relevance | trending | downloads | likes | updated
                                      # | created | name
        page=1, per_page=20, with_facets=True,
    )
    result.total, result.hits, result.facets, result.as_json()

    # Cursor-paginated lists (the Hub API): strict matching, AND-ed facet conditions.
    hits, more = listing(principal=p, q="port", types=["model"],
                         all_of=[[("tag", "license:mit"), ("license", "mit")]],
                         sort="downloads", descending=True, offset=0, limit=100)

At scale, relevance ranking is a rescoring window: the engine's best matches by text alone,
filtered by privacy and facets in SQL, the best ``services.CANDIDATES`` blended with
popularity and freshness. ``total`` is exact unless the engine had more matches than the
window fetches (then a lower bound with ``total_relation: "gte"``); facet counts are exact
when every visible match fits in the window, otherwise counted over the window with
``facets_relation: "gte"``.
Either way only documents the caller may read are counted. A query so broad that it matches
more documents than the engine's scoring budget (``backends.score_budget()``) is scored over
its newest matches only (``scoring_window``), so its cost stays bounded.

Filter/facet fields: domain, task, license, language, hardware, library, org_kind, owner, tag
(values are lower-case). Writes need nothing from callers: the index follows the event log
(``nbopen.search.tasks``, a ``core.events.listen`` listener); ``indexer.signals_update``
takes download counts (the Hub API calls it per counted download) and trending scores;
likes come from ``nbopen.collab``. ``nbopen search reindex`` rebuilds.
"""
