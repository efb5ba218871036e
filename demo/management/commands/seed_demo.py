from typing import Any

from django.core.management.base import BaseCommand

from demo.services import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "加载演示数据（三个试点城市、约 300 家企业、每个角色一个演示账号）；已加载则跳过。"

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_seed()
        if result.created:
            self.stdout.write(
                f"已加载演示数据：{result.cities} 个试点城市，{result.enterprises} 家企业。"
            )
        else:
            self.stdout.write("演示数据已存在，跳过加载。")
        if result.logins:
            self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
            for login in result.logins:
                self.stdout.write(f"  {login.username:<16} {login.role:<8} {login.scope}")
