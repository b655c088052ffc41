"""/api/posts/ and /api/campaigns/: the same services as the pages, scoped by the same selectors."""
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts.models import Channel, Service
from council_social.validators import validate_web_address

from . import selectors, services
from .models import Campaign, Post, PostTarget, Topic

FORBIDDEN_CODES = {"not_allowed", "policy_not_acknowledged", "own_post", "channel_not_allowed",
                   "service_not_allowed"}


def refusal(exc: services.PostRefused) -> Response:
    """A refusal as an API error: 403 when it is about who may do it, else 400 naming the check."""
    body = {"detail": exc.message, "code": exc.code}
    if exc.results:
        body["checks"] = [{"code": r.code, "level": r.level, "message": r.message, "platform": r.platform}
                          for r in exc.results]
    if exc.link:
        body["link"] = exc.link
    return Response(body, status=status.HTTP_403_FORBIDDEN if exc.code in FORBIDDEN_CODES
                    else status.HTTP_400_BAD_REQUEST)


class TargetSerializer(serializers.ModelSerializer):
    channel = serializers.IntegerField(source="channel_id")
    handle = serializers.CharField(source="channel.handle")
    platform = serializers.CharField(source="channel.platform")
    state = serializers.CharField(read_only=True, help_text="pending, queued, publishing, verifying, unknown, "
                                                            "published, failed or cancelled")

    class Meta:
        model = PostTarget
        fields = ["channel", "handle", "platform", "state", "external_id", "url", "attempts", "last_error",
                  "published_at"]


class PostSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = serializers.CharField(source="author.username")
    state = serializers.CharField(read_only=True, help_text="draft, submitted, changes_requested, approved, "
                                                            "scheduled, paused, held, publishing, published, "
                                                            "failed or cancelled")
    topics = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    targets = TargetSerializer(many=True, read_only=True)
    images = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = ["id", "state", "text", "variants", "link", "service", "author", "campaign", "topics",
                  "scheduled_at", "published_at", "version", "is_emergency", "targets", "images", "approvals",
                  "created_at", "updated_at"]

    def get_images(self, post) -> list[dict]:
        return [{"url": image.source, "alt_text": image.alt_text} for image in post.images.all()]

    def get_approvals(self, post) -> list[dict]:
        return [{"kind": a.kind, "decision": a.decision, "comment": a.comment, "by": a.decided_by_name,
                 "version": a.post_version, "at": a.decided_at} for a in post.approvals.all()]


def this_century(value):
    """A time to publish at: years like 0283 are typing mistakes (and before 1847 London's
    offset from UTC was not whole minutes, which the API cannot write out)."""
    if value is not None and not 2000 <= value.year <= 2099:
        raise ValidationError("Choose a date and time in this century.")


class ImageInput(serializers.Serializer):
    url = serializers.URLField(max_length=500, validators=[validate_web_address])
    alt_text = serializers.CharField(allow_blank=True)


class PostInput(serializers.Serializer):
    text = serializers.CharField(max_length=63206, allow_blank=True)
    variants = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    link = serializers.URLField(max_length=500, required=False, allow_blank=True, validators=[validate_web_address])
    channels = serializers.PrimaryKeyRelatedField(queryset=Channel.objects.all(), many=True)
    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all(), required=False)
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all(), required=False, allow_null=True)
    topics = serializers.SlugRelatedField(slug_field="slug", queryset=Topic.objects.filter(active=True), many=True,
                                          required=False)
    images = ImageInput(many=True, required=False)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, validators=[this_century])

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            # Channels and campaigns the user cannot see are "does not exist", as for an unknown id.
            self.fields["channels"].child_relation.queryset = account_selectors.channel_list(user=user)
            self.fields["campaign"].queryset = selectors.campaign_list(user=user)


class CommentInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ScheduleInput(serializers.Serializer):
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, validators=[this_century],
                                             help_text="Empty: as soon as possible.")


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class PublishingRoles:
    """Publishing is for the roles that use its pages (authors and the monitoring officer): others
    get 403, as on the posts page, whatever they ask for."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not getattr(self, "swagger_fake_view", False) and not selectors.can_use_publishing(request.user):
            raise PermissionDenied("Your role does not use publishing.")


class PostViewSet(PublishingRoles, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Posts the user may see: their service's (every post for the web team and communications officers)."""

    serializer_class = PostSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Post.objects.none()
        filters = {k: self.request.query_params.get(k) for k in ("state", "service", "channel", "campaign", "q")}
        for name in ("channel", "campaign"):
            if filters[name] and not filters[name].isdigit():
                raise ValidationError({name: f"Give a {name} id."})
        return selectors.post_list(user=self.request.user, filters=filters).prefetch_related(
            "topics", "images", "approvals").order_by("-created_at", "-id")

    def _done(self, post: Post, code=status.HTTP_200_OK) -> Response:
        return Response(PostSerializer(self.get_queryset().get(pk=post.pk)).data, status=code)

    @extend_schema(request=PostInput, responses={201: PostSerializer})
    def create(self, request):
        if not selectors.can_author(request.user):  # before the input is read
            return refusal(services.PostRefused("Your role does not let you write posts.", code="not_allowed"))
        data = PostInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            post = services.post_create(actor=request.user, **fields)
        except services.PostRefused as exc:
            return refusal(exc)
        return self._done(post, status.HTTP_201_CREATED)

    def _run(self, fn, **kwargs) -> Response:
        post = self.get_object()
        try:
            fn(actor=self.request.user, post=post, **kwargs)
        except services.PostRefused as exc:
            return refusal(exc)
        return self._done(post)

    @extend_schema(request=None, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send for approval. A blocking check refuses it with 400 and the check's code."""
        return self._run(services.post_submit)

    @extend_schema(request=CommentInput, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(services.post_approve, comment=data.validated_data.get("comment", ""))

    @extend_schema(request=CommentInput, responses=PostSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(services.post_request_changes, comment=data.validated_data.get("comment", ""))

    @extend_schema(request=ScheduleInput, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        data = ScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(services.post_schedule, scheduled_at=data.validated_data.get("scheduled_at"))

    @extend_schema(request=CancelInput, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(services.post_cancel, reason=data.validated_data.get("reason", ""))


class CampaignSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all(), required=False)
    owner = serializers.CharField(source="owner.username", read_only=True, default=None)

    class Meta:
        model = Campaign
        fields = ["id", "name", "description", "service", "owner", "start_date", "end_date", "created_at"]
        read_only_fields = ["created_at"]


class CampaignViewSet(PublishingRoles, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = CampaignSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()
        return selectors.campaign_list(user=self.request.user, filters={
            "service": self.request.query_params.get("service")})

    def create(self, request):
        try:
            services.campaign_role_check(request.user)  # before the input is read
        except services.PostRefused as exc:
            return refusal(exc)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            campaign = services.campaign_create(actor=request.user, **serializer.validated_data)
        except services.PostRefused as exc:
            return refusal(exc)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)
