from django.core.management.base import BaseCommand

from portal.demo import demo_totp_instructions, load_demo


class Command(BaseCommand):
    help = "Load (or refresh) the demo catalogue and demo accounts, and print the accounts."

    def handle(self, *args, **options):
        accounts = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo accounts (demo data only):"))
        for username, password, role in accounts:
            self.stdout.write(f"  {username:<24} {password:<20} {role}")
        for line in demo_totp_instructions():
            self.stdout.write(line)
