from django.urls import path

from . import views, web_views

urlpatterns = [
    path("mentions/", views.mention_list, name="mention_list"),
    path("channels/<int:pk>/connect/", views.channel_connect, name="channel_connect"),
    path("channels/<int:pk>/connect/app-password/", views.channel_connect_password, name="channel_connect_password"),
    path("channels/oauth/callback/", views.channel_oauth_callback, name="channel_oauth_callback"),
    path("webhooks/<slug:platform>/", views.webhook, name="webhook"),
    path("authors/", views.author_list, name="author_list"),
    path("authors/<int:pk>/", views.author_detail, name="author_detail"),
    path("authors/<int:pk>/export.<str:fmt>", views.author_export, name="author_export"),
    path("authors/<int:pk>/erase/", views.author_erase, name="author_erase"),
    path("rising/", web_views.rising, name="rising"),
    path("sources/", web_views.source_list, name="source_list"),
    path("sources/add/", web_views.source_add, name="source_add"),
    path("watch-list/", web_views.watchlist_page, name="watchlist"),
    path("watch-list/add/", web_views.watchlist_add, name="watchlist_add"),
    path("watch-list/<int:pk>/", web_views.watchlist_edit, name="watchlist_edit"),
    path("watch-list/<int:pk>/<str:decision>/", web_views.watchlist_review, name="watchlist_review"),
]
