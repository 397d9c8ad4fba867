"""Which language a request is answered in: Simplified Chinese first (SPEC: the interface speaks Chinese
first, English second).

Pages follow the language the person chose from the menu (Django's language cookie, set by
/i18n/setlang/) and otherwise speak Chinese: a browser that happens to ask for English (Accept-Language)
does not switch a Chinese company's workspace or its public complaint page. The JSON API still follows
Accept-Language, which is how a program asks for its language.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
