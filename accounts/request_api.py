"""/api/account-requests/: create, list, detail, decide and resubmit requests for new accounts.
The same services as the pages; each user sees only the requests they may see."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from . import requests
from .models import AccountRequest, AccountRequestDecision, Channel, User


def as_api_error(exc: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as a 400: field → messages, or {"detail": message}."""
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"detail": " ".join(exc.messages)})


class AccountRequestInputSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Channel.Platform.choices)
    # A plain string (the service checks it) so the schema keeps one enum for channel kinds.
    kind = serializers.CharField(default=Channel.Kind.SERVICE, max_length=20,
                                 help_text="service or campaign: corporate accounts are the web team's.")
    proposed_handle = serializers.CharField(max_length=120)
    proposed_display_name = serializers.CharField(max_length=200)
    audience = serializers.CharField(max_length=4000, help_text="Who is your audience?")
    objectives = serializers.CharField(max_length=4000, help_text="The business objectives the account would help "
                                                                  "achieve.")
    why_own_account = serializers.CharField(max_length=4000, help_text="Why your own account would do better than "
                                                                       "content for the council's existing accounts.")
    content_commitment = serializers.CharField(max_length=4000, help_text="How often you will post and who will "
                                                                          "write the content.")
    monitors = serializers.SlugRelatedField(many=True, slug_field="username",
                                            queryset=User.objects.filter(is_active=True),
                                            help_text="Usernames of the people who will monitor the account.")
    out_of_hours = serializers.CharField(max_length=4000, help_text="How messages out of hours will be handled.")

    def validate_monitors(self, value):
        if not value:
            raise serializers.ValidationError("Choose who will monitor the account.")
        return value


class ResubmitInputSerializer(AccountRequestInputSerializer):
    """The answers to change; any left out stay as they were."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class DecideInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=AccountRequestDecision.Outcome.choices)
    reasons = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountRequestDecision
        fields = ["stage", "outcome", "reasons", "decided_by_name", "decided_at"]


class AccountRequestSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    monitors = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    kind = serializers.CharField(read_only=True, help_text="service or campaign.")
    stage = serializers.CharField(read_only=True, allow_null=True, help_text="Who decides next, if anyone.")
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = AccountRequest
        fields = ["id", "service", "requester", "platform", "kind", "proposed_handle", "proposed_display_name",
                  "audience", "objectives", "why_own_account", "content_commitment", "monitors", "out_of_hours",
                  "state", "stage", "channel", "created_at", "updated_at", "decided_at", "decisions"]
        read_only_fields = fields


class AccountRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requests for new social media accounts: a requester sees their own, a head of service
    their service's, the web team all."""

    serializer_class = AccountRequestSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AccountRequest.objects.none()
        state = self.request.query_params.get("state") or None
        if state and state not in AccountRequest.State.values:
            raise serializers.ValidationError({"state": f"Choose one of: {', '.join(AccountRequest.State.values)}."})
        return requests.account_request_list(user=self.request.user, state=state).prefetch_related(
            "monitors", "decisions").order_by("-created_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("state", enum=AccountRequest.State.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AccountRequestInputSerializer, responses={201: AccountRequestSerializer})
    def create(self, request):
        """Submit a request for the caller's service; it goes to the service's head first."""
        blocker = requests.request_blocker(request.user)  # the role first, then the input
        if blocker:
            raise PermissionDenied(blocker)
        data = AccountRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            account_request = requests.account_request_submit(actor=request.user, **data.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from None
        return Response(AccountRequestSerializer(account_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecideInputSerializer, responses=AccountRequestSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """The head of the requesting service (first) or the web team (second) decides."""
        account_request = self.get_object()
        refusal = requests.decide_refusal(request.user, account_request)  # who may decide, before the input
        if refusal:
            if account_request.stage is None:
                raise serializers.ValidationError({"detail": refusal})
            raise PermissionDenied(refusal)
        data = DecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            requests.account_request_decide(actor=request.user, request=account_request, **data.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from None
        return Response(AccountRequestSerializer(self.get_queryset().get(pk=account_request.pk)).data)

    @extend_schema(request=ResubmitInputSerializer, responses=AccountRequestSerializer)
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        """The requester answers a request for more information."""
        account_request = self.get_object()
        if account_request.requester_id != request.user.pk:
            raise PermissionDenied("Only the person who made the request can resubmit it.")
        data = ResubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            requests.account_request_resubmit(actor=request.user, request=account_request, **data.validated_data)
        except DjangoValidationError as exc:
            raise as_api_error(exc) from None
        return Response(AccountRequestSerializer(self.get_queryset().get(pk=account_request.pk)).data)
