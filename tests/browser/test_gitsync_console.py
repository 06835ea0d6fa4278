"""The console in headless Chromium shows a repository link's Git remote, and the blocker a failed `git push`
sync left (the browser harness is test_console_browser's)."""

from __future__ import annotations

import urllib.parse

from sync.gitwork import TEMPLATE, UNKNOWN_TYPE, Work, deployment, handshake, remote_url, settled
from test_console_browser import WAIT, browser, shoot  # noqa: F401  (the browser fixture)


def test_console_shows_the_remote_and_a_failed_sync_s_blocker(server, account, browser, tmp_path):  # noqa: F811
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    client = server.client("codeconnections", account=account)
    conn = client.create_connection(ProviderType="GitHub", ConnectionName="console-git")["ConnectionArn"]
    handshake(server.endpoint_url, conn)
    link = client.create_repository_link(ConnectionArn=conn, OwnerId="octo", RepositoryName="infra")["RepositoryLinkInfo"]
    client.create_sync_configuration(Branch="main", ConfigFile="stacks/web/deployment.yaml", RepositoryLinkId=link["RepositoryLinkId"],
                                     ResourceName="console-web", RoleArn="arn:aws:iam::123456789012:role/r", SyncType="CFN_STACK_SYNC")
    url = remote_url(server.endpoint_url, link["RepositoryLinkId"])

    wait = WebDriverWait(browser, WAIT, ignored_exceptions=[StaleElementReferenceException])
    browser.get(f"{server.endpoint_url}/_codestar-local/console?" + urllib.parse.urlencode({"account": account}))
    row = f'tr[data-arn="{link["RepositoryLinkArn"]}"]'
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{row} .git-url").text == url)
    assert browser.find_element(By.CSS_SELECTOR, row).get_attribute("data-git-remote") == url
    assert f"/_codestar-local/git/{account}/octo/infra.git" in browser.find_element(By.CSS_SELECTOR, f"{row} .git-remote").text

    # The URL the page shows is the one git pushes to.
    work = Work(tmp_path / "work", tmp_path / "home").init()
    work.write("stacks/web/deployment.yaml", deployment("stacks/web/template.yaml", Env="dev"))
    work.write("stacks/web/template.yaml", UNKNOWN_TYPE)
    sha = work.commit("a bad resource type")
    work.push(browser.find_element(By.CSS_SELECTOR, row).get_attribute("data-git-remote"))
    reason = settled(client, "console-web", sha)["LatestSync"]["Events"][-1]["Event"]
    assert "E3006" in reason

    # The live refresh shows the active blocker on the stack's row, with its reason.
    config_row = f'tr[data-id="{account}/us-east-1/CFN_STACK_SYNC/console-web"]'
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, config_row).get_attribute("data-active-blockers") == "1")
    blocker = browser.find_element(By.CSS_SELECTOR, f"{config_row} .blocker")
    assert "ACTIVE" in blocker.text and "E3006" in blocker.text and "stacks/web/template.yaml" in blocker.text
    wait.until(lambda d: sha[:7] in d.find_element(By.CSS_SELECTOR, config_row).text)
    shoot(browser, tmp_path / "console-git-sync.png")

    # Fixed and resolved, the blocker reads RESOLVED.
    [active] = client.get_sync_blocker_summary(ResourceName="console-web", SyncType="CFN_STACK_SYNC")["SyncBlockerSummary"]["LatestBlockers"]
    client.update_sync_blocker(Id=active["Id"], SyncType="CFN_STACK_SYNC", ResourceName="console-web", ResolvedReason="fixed the type")
    work.write("stacks/web/template.yaml", TEMPLATE)
    fixed = work.commit("fixed")
    work.push(url)
    settled(client, "console-web", fixed)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, config_row).get_attribute("data-active-blockers") == "0")
    assert "RESOLVED" in browser.find_element(By.CSS_SELECTOR, f"{config_row} .blocker").text
