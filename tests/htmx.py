"""The one check every htmx fragment test makes (the Wagtail pattern, plus Vary)."""

import re

HTMX = {"HX-Request": "true"}


def assert_fragment(response, root_id: str, status: int = 200) -> str:
    """`response` is the fragment rooted at `root_id`, not a page, and caches keep the two
    representations of its URL apart (Vary: HX-Request). Returns the HTML."""
    html = response.content.decode()
    assert response.status_code == status, html[:500]
    assert re.search(rf'\bid="{re.escape(root_id)}"', html), f"no element #{root_id} in the fragment"
    assert "<title>" not in html, "a whole page came back instead of the fragment"
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",")}
    assert "hx-request" in vary, f"Vary is {response.get('Vary')!r}: caches would mix page and fragment"
    return html
