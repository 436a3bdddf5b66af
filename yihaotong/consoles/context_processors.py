from .nav import nav_for, unread_badge


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    # The bell's count is lazy: one capped COUNT when a full page's top bar shows it, none for partials.
    return {"nav_items": nav_for(user), "notification_badge": unread_badge(user)}
