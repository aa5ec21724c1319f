from django.dispatch import receiver

from approvals.signals import application_decided

from .publishing import publish_decision


@receiver(application_decided)
def publish_in_register(sender, application, **kwargs):
    publish_decision(application)
