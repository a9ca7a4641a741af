"""{% fragment key %}…{% endfragment %}: a part of a learner's page served from the cache.

The key (a state's `fragment_key`) names everything the part shows; a false key renders
as usual. The CSRF token is swapped for a placeholder in the cache and put back per request.
"""

from django import template
from django.utils.safestring import mark_safe

from lessons import page_cache

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, key, nodelist):
        self.key = key
        self.nodelist = nodelist

    def render(self, context):
        key = self.key.resolve(context)
        store = context.get("fragments")
        if not key or store is None:
            return self.nodelist.render(context)
        token = str(context.get("csrf_token", ""))
        cached = store.get(key)
        if cached is not None:
            # The cached HTML was rendered (and escaped) by this same template.
            return mark_safe(page_cache.personal_html(cached, token))
        html = self.nodelist.render(context)
        shared = page_cache.shared_html(html)
        if shared is not None:
            store.put(key, shared)
        return html


@register.tag
def fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% fragment key %} takes one argument")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(parser.compile_filter(bits[1]), nodelist)
