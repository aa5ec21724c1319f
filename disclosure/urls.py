from django.urls import path

from . import anchor_views, consultation_views, feeds, letter_views, views

app_name = "disclosure"
urlpatterns = [
    path("", views.index, name="index"),
    path("decisions/", views.decisions, name="decisions"),
    path("decisions/<str:tracking_number>/", views.decision, name="decision"),
    path("publications/", views.publications, name="publications"),
    # Permalinks: /disclosure/publications/2026-000042/ stays valid for good (withdrawn: 410).
    path("publications/<str:number>/", views.publication, name="publication"),
    path(
        "publications/<str:number>/files/<int:attachment_id>/",
        views.publication_attachment,
        name="publication_attachment",
    ),
    path("search/", views.search, name="search"),
    # Consultations on drafts (征求意见): the number is the draft's publication number.
    path("letters/", letter_views.letters, name="letters"),
    path("letters/<str:number>/", letter_views.letter, name="letter"),
    path("consultations/", consultation_views.consultations, name="consultations"),
    path("consultations/<str:number>/", consultation_views.consultation, name="consultation"),
    path(
        "consultations/<str:number>/comment/",
        consultation_views.comment,
        name="consultation_comment",
    ),
    path("feeds/latest.atom", feeds.LatestPublicationsFeed(), name="feed"),
    path("feeds/kind/<str:kind>.atom", feeds.KindFeed(), name="feed_kind"),
    path("feeds/department/<str:code>.atom", feeds.DepartmentFeed(), name="feed_department"),
    path("feeds/decisions.atom", feeds.DecisionsFeed(), name="decisions_feed"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics/<str:table>.csv", views.statistics_csv, name="statistics_csv"),
    path("annual-report/<int:year>/", views.annual_report, name="annual_report"),
    path("annual-report/<int:year>.csv", views.annual_report_csv, name="annual_report_csv"),
    path("staff/publications/", views.staff_publications, name="staff_publications"),
    path("staff/publications/new/", views.new_publication, name="new_publication"),
    path("staff/publications/<int:pk>/", views.draft, name="draft"),
    path("staff/publications/<int:pk>/approve/", views.approve, name="approve"),
    path("staff/publications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path(
        "staff/consultations/", consultation_views.staff_consultations, name="staff_consultations"
    ),
    path("staff/consultations/new/", consultation_views.new_consultation, name="new_consultation"),
    path(
        "staff/consultations/<int:pk>/",
        consultation_views.staff_consultation,
        name="staff_consultation",
    ),
    path(
        "staff/consultations/<int:pk>/report/",
        consultation_views.feedback_report,
        name="feedback_report",
    ),
    path(
        "staff/comments/<int:pk>/moderate/",
        consultation_views.moderate,
        name="moderate_comment",
    ),
    path("staff/requests/", views.disclosure_requests, name="requests"),
    path("staff/requests/<int:pk>/publish/", views.publish_answer, name="publish_answer"),
    path("staff/statistics/<str:code>/", views.department_statistics, name="department_statistics"),
    # The audit log's signed daily anchors (accounts/anchors.py, docs/security.md).
    path("anchors/", anchor_views.anchor_list, name="anchors"),
    path("anchors/feed.atom", anchor_views.AnchorFeed(), name="anchor_feed"),
    path("anchors/verify/", anchor_views.verify_proof, name="verify_proof"),
    path("anchors/proofs/<int:entry_id>.json", anchor_views.entry_proof, name="entry_proof"),
    path("anchors/<str:day>/", anchor_views.anchor_detail, name="anchor"),
    path("anchors/<str:day>.json", anchor_views.anchor_json, name="anchor_json"),
    path("certificates/verify/", views.verify_certificate, name="verify_certificate"),
    path("certificates/keys/", views.certificate_keys, name="certificate_keys"),
    path("certificates/<str:number>/", views.certificate, name="certificate"),
]
