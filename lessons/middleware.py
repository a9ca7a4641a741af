"""Request checks that apply to every URL, and a readable page for 405 responses."""

from django.conf import settings
from django.shortcuts import render
from django.template.loader import render_to_string

from lessons.markdown import render_budget


class RefuseNulCharactersMiddleware:
    """A NUL character is never valid in a query or form value, and PostgreSQL text cannot
    hold one (a search or a lookup with it was a 500 there): refuse it with a 400 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for data in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    message = "The request contains a NUL character, so nothing was read or saved."
                    return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)


class RenderBudgetMiddleware:
    """Every Markdown render in one request shares one time budget, so no text (or number
    of texts) holds a worker past it; the view reports the MarkdownError it raises."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with render_budget(settings.MARKDOWN_RENDER_TIMEOUT_SECONDS):
            return self.get_response(request)


def method_not_allowed_page(get_response):
    """Django's require_* decorators answer a wrong method with an empty 405; people who
    follow a stale link or submit an old form deserve a sentence and a way back."""

    def middleware(request):
        response = get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response

    return middleware
