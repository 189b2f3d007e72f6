"""Discovery: one search service over repositories, organizations and users.

For callers (web pages, the Hub API's ``list_models``/``list_datasets``, suggestions)::

    from nbopen.search.services import search, suggest

    result = search(
        principal=principal,          # from the request; privacy is applied inside the SQL
        q="港口调度",                   # Chinese, English, mixed; typos and prefixes tolerated
        types=["model"],              # model | dataset | code | org | user (none = all)
        filters={"task": ["object-detection"], "hardware": ["ascend"], "tag": ["pytorch"]},
        sort="relevance",             # relevance | trending | downloads | likes | updated
        page=1, per_page=20, with_facets=True,
    )
    result.total, result.hits, result.facets, result.as_json()

Filter/facet fields: domain, task, license, language, hardware, library, org_kind, owner, tag
(values are lower-case). Writes need nothing from callers: the index follows the event log
(``nbopen.search.tasks``); ``indexer.signals_update`` takes download counts and trending
scores from analytics; likes come from ``nbopen.collab``. ``nbopen search reindex`` rebuilds.
"""
