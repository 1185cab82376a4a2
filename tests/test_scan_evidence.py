"""What `subreg scan` takes for evidence, per ecosystem, on small real product trees
(each a git repository as a product team would have it), and what it does not."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import GIT_ENV
from subreg.scan import begin, catalog, collect, manifests, text
from subreg.scan.catalog import Matcher

MATCHER = Matcher.build(catalog.load())


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": "@1764590400 +0000", "GIT_COMMITTER_DATE": "@1764590400 +0000"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


def tree(root: Path, files: dict[str, str | bytes], commit: bool = True) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    if commit:
        if not (root / ".git").exists():
            git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "product")
    return root


def scan(root: Path, own: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> collect.Collected:
    return collect.whole(begin.start(root), MATCHER, own, skip)


def found(got: collect.Collected) -> list[tuple[str, int, str, str, str]]:
    return [(e.path, e.line, e.service, e.kind, e.text) for e in got.evidence]


PYTHON_SERVICE = {
    "pyproject.toml": """\
[project]
name = "billing-api"
version = "1.4.0"
dependencies = [
    "fastapi>=0.110",
    "Sentry_SDK[fastapi]==1.40.0",
    "segment-analytics-python>=2.3",
]

[project.optional-dependencies]
dev = ["pytest", "stripe-mock", "mixpanel"]
payments = ["stripe>=7"]
""",
    "requirements.txt": "# pinned for deploys\n--index-url https://pypi.org/simple\n"
                        "openai==1.30.0 \\\n    --hash=sha256:abc\nrequests==2.32.0  # http\n",
    "requirements-dev.txt": "twilio==9.0\n",
    "billing/client.py": '''\
"""Billing client.

Talks to https://api.twilio.com in a future version (see the docstring).
"""
import httpx

STRIPE = "https://api.stripe.com/v1"  # https://api.mixpanel.com in a trailing comment
# POSTHOG = "https://eu.i.posthog.com"
QUERY = """
select * from events -- https://hooks.slack.com/services/T0/B0/X is in a string value
"""


def notify(text: str) -> None:
    """Post to https://api.segment.io, says the docstring only."""
    httpx.post("https://api.sendgrid.com/v3/mail/send", json={"text": text})
''',
    "tests/test_client.py": 'URL = "https://api.openai.com/v1"\n',
    "docs/index.md": "Uses https://api.twilio.com\n",
    ".env.example": "SENTRY_DSN=\nDATABASE_URL=postgres://localhost/billing\n# INTERCOM_TOKEN=\n",
}


def test_python_service(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "svc", PYTHON_SERVICE))
    assert found(got) == [
        (".env.example", 1, "sentry", "env", "SENTRY_DSN"),
        ("billing/client.py", 7, "stripe", "host", "api.stripe.com"),
        ("billing/client.py", 10, "slack", "host", "hooks.slack.com"),
        ("billing/client.py", 16, "sendgrid", "host", "api.sendgrid.com"),
        ("pyproject.toml", 6, "sentry", "dependency", '"Sentry_SDK[fastapi]==1.40.0",'),
        ("pyproject.toml", 7, "segment", "dependency", '"segment-analytics-python>=2.3",'),
        ("pyproject.toml", 12, "stripe", "dependency", 'payments = ["stripe>=7"]'),
        ("requirements.txt", 3, "openai", "dependency", "openai==1.30.0 \\"),
    ]
    assert got.warnings == []


NODE_APP = {
    "package.json": json.dumps({
        "name": "storefront", "private": True,
        "dependencies": {"@sentry/nextjs": "^8.0.0", "mixpanel-browser": "^2.50.0", "next": "14.2.0",
                         "@mapbox/node-pre-gyp": "^1.0.11", "@apollo/client": "^3.10.0", "groq": "^3.0.0"},
        "devDependencies": {"@segment/analytics-next": "^1.70.0", "stripe": "^15.0.0"},
    }, indent=2) + "\n",
    "package-lock.json": json.dumps({"packages": {"node_modules/stripe": {"version": "15.0.0"}}}),
    "src/lib/ai.ts": """\
// https://api.anthropic.com would be nice
/*
 * Calls https://api.twilio.com one day.
 */
export async function complete(prompt: string) {
  return fetch(`https://api.openai.com/v1/chat/completions`, { method: "POST", body: prompt });
}
""",
    "src/pages/_document.tsx": '<script src="https://js.stripe.com/v3" async></script>\n'
                               '<!-- <script src="https://static.hotjar.com/c/hotjar.js"></script> -->\n',
    "src/__tests__/ai.test.ts": 'const url = "https://api.mistral.ai";\n',
    "vendor/analytics.js": 'var u = "https://cdn.segment.com/analytics.js";\n',
    "dist/bundle.js": 'var u = "https://api.intercom.io";\n',
    "public/app.min.js": 'var u = "https://api.intercom.io";\n',
    "node_modules/x/index.js": 'var u = "https://api.intercom.io";\n',
    ".env.local.example": "NEXT_PUBLIC_POSTHOG_KEY=phc_replace_me\nNEXT_PUBLIC_SITE=https://acme-shop.vercel.app\n",
}


def test_node_app(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "web", NODE_APP), own=("acme-shop.vercel.app",))
    assert found(got) == [
        (".env.local.example", 1, "posthog", "env", "NEXT_PUBLIC_POSTHOG_KEY"),
        ("package.json", 5, "sentry", "dependency", '"@sentry/nextjs": "^8.0.0",'),
        ("package.json", 6, "mixpanel", "dependency", '"mixpanel-browser": "^2.50.0",'),
        ("src/lib/ai.ts", 6, "openai", "host", "api.openai.com"),
        ("src/pages/_document.tsx", 1, "stripe", "host", "js.stripe.com"),
    ]


GO_SERVICE = {
    "go.mod": """\
module github.com/acme/ledger

go 1.22

require (
\tgithub.com/stripe/stripe-go/v76 v76.25.0
\tgithub.com/segmentio/backo-go v1.0.1
\tgithub.com/aws/aws-sdk-go-v2/service/s3 v1.53.0
\tgithub.com/getsentry/sentry-go v0.27.0 // indirect
)

require github.com/slack-go/slack v0.12.5
""",
    "go.sum": "github.com/getsentry/sentry-go v0.27.0 h1:abc=\n",
    "internal/notify/notify.go": """\
package notify

// Webhook posts to https://hooks.slack.com (comment only).
const webhook = "https://api.pagerduty.com/incidents" // https://api.twilio.com
""",
    "internal/notify/notify_test.go": 'package notify\n\nconst dsn = "https://k@o1.ingest.sentry.io/1"\n',
    "internal/pb/ledger.pb.go": 'package pb\n\nconst x = "https://api.datadoghq.com"\n',
}


def test_go_service(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "ledger", GO_SERVICE))
    assert found(got) == [
        ("go.mod", 6, "stripe", "dependency", "github.com/stripe/stripe-go/v76 v76.25.0"),
        ("go.mod", 8, "aws", "dependency", "github.com/aws/aws-sdk-go-v2/service/s3 v1.53.0"),
        ("go.mod", 12, "slack", "dependency", "require github.com/slack-go/slack v0.12.5"),
        ("internal/notify/notify.go", 4, "pagerduty", "host", "api.pagerduty.com"),
    ]


TERRAFORM = {
    "infra/versions.tf": """\
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    dd = { source = "DataDog/datadog" }
    random = { source = "hashicorp/random" }
  }
}
""",
    "infra/main.tf": """\
# provider "fastly" {} would be Fastly
provider "aws" {
  region = "eu-west-1"
}

resource "google_storage_bucket" "exports" {
  name = "acme-exports"
}

resource "dd_monitor" "api" {
  name = "api"
}
""",
    "infra/.terraform.lock.hcl": 'provider "registry.terraform.io/cloudflare/cloudflare" {\n}\n',
    "infra/.terraform/modules/x/main.tf": 'provider "heroku" {}\n',
}


def test_terraform_folder(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "ops", TERRAFORM))
    assert found(got) == [
        ("infra/main.tf", 2, "aws", "terraform", "hashicorp/aws"),
        ("infra/main.tf", 6, "google-cloud", "terraform", "hashicorp/google"),
        ("infra/versions.tf", 4, "aws", "terraform", "hashicorp/aws"),
        ("infra/versions.tf", 7, "datadog", "terraform", "datadog/datadog"),
    ]


OTHERS = {
    "Gemfile": """\
source "https://rubygems.org"
gem "rails", "~> 7.1"
gem 'stripe', '~> 10.0'
gem "sentry-ruby"
gem "rspec-rails", group: :test
group :development, :test do
  gem "twilio-ruby"
end
group :production do
  gem "newrelic_rpm"
end
""",
    "pom.xml": """\
<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <dependencyManagement><dependencies><dependency>
    <groupId>com.twilio.sdk</groupId><artifactId>twilio</artifactId>
  </dependency></dependencies></dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>com.stripe</groupId>
      <artifactId>stripe-java</artifactId>
    </dependency>
    <dependency>
      <groupId>io.sentry</groupId>
      <artifactId>sentry</artifactId>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>com.auth0</groupId>
      <artifactId>java-jwt</artifactId>
    </dependency>
  </dependencies>
</project>
""",
    "android/build.gradle.kts": """\
dependencies {
    implementation("com.mixpanel.android:mixpanel-android:7.3.1")
    testImplementation("com.stripe:stripe-android:20.0.0")
    // implementation("io.sentry:sentry-android:7.0.0")
    implementation(platform("software.amazon.awssdk:bom:2.25.0"))
}
""",
    "src/Api/Api.csproj": """\
<Project Sdk="Microsoft.NET.Sdk.Web">
  <ItemGroup>
    <PackageReference Include="SendGrid" Version="9.29.3" />
    <PackageReference Include="Sentry.AspNetCore" Version="4.0.0" />
    <PackageReference Include="StyleCop.Analyzers" Version="1.1.118" PrivateAssets="all" />
  </ItemGroup>
</Project>
""",
    "src/Api.Tests/Api.Tests.csproj": """\
<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.0.0" />
    <PackageReference Include="Twilio" Version="7.0.0" />
  </ItemGroup>
</Project>
""",
    "crates/worker/Cargo.toml": """\
[package]
name = "worker"

[dependencies]
stripe = { package = "async-stripe", version = "0.37" }
sentry = "0.32"

[dev-dependencies]
aws-config = "1"
""",
    "web/composer.json": json.dumps({"require": {"php": "^8.2", "ext-json": "*", "laravel/framework": "^11.0",
                                                 "sentry/sentry-laravel": "^4.0"},
                                     "require-dev": {"stripe/stripe-php": "^13.0"}}, indent=2) + "\n",
    "web/.env.example": """\
APP_KEY=
DB_CONNECTION=mysql
AWS_ACCESS_KEY_ID=
AWS_SECRET_ACCESS_KEY=
AWS_DEFAULT_REGION=us-east-1
AWS_BUCKET=
AWS_USE_PATH_STYLE_ENDPOINT=false
PUSHER_APP_ID=
PUSHER_APP_KEY=
PUSHER_APP_SECRET=
PUSHER_HOST=
PUSHER_PORT=443
PUSHER_SCHEME=https
PUSHER_APP_CLUSTER=mt1
VITE_PUSHER_APP_KEY="${PUSHER_APP_KEY}"
MAILGUN_DOMAIN=mg.acme.example
""",
    "deploy/k8s/api.yaml": """\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: api
          env:
            - name: DD_AGENT_HOST
              valueFrom: {fieldRef: {fieldPath: status.hostIP}}
            # - name: NEW_RELIC_LICENSE_KEY
""",
    "docker-compose.yml": "services:\n  api:\n    environment:\n      - ALGOLIA_APP_ID=${ALGOLIA_APP_ID}\n",
    "config/public_suffix_list.dat": "// https://api.intercom.io\nherokuapp.com\n",
}


def test_other_ecosystems_and_deployment_files(tmp_path: Path) -> None:
    got = scan(tree(tmp_path / "mono", OTHERS))
    assert found(got) == [
        ("Gemfile", 3, "stripe", "dependency", "gem 'stripe', '~> 10.0'"),
        ("Gemfile", 4, "sentry", "dependency", 'gem "sentry-ruby"'),
        ("Gemfile", 10, "new-relic", "dependency", 'gem "newrelic_rpm"'),
        ("android/build.gradle.kts", 2, "mixpanel", "dependency",
         'implementation("com.mixpanel.android:mixpanel-android:7.3.1")'),
        ("android/build.gradle.kts", 5, "aws", "dependency",
         'implementation(platform("software.amazon.awssdk:bom:2.25.0"))'),
        ("crates/worker/Cargo.toml", 5, "stripe", "dependency",
         'stripe = { package = "async-stripe", version = "0.37" }'),
        ("crates/worker/Cargo.toml", 6, "sentry", "dependency", 'sentry = "0.32"'),
        ("deploy/k8s/api.yaml", 9, "datadog", "env", "DD_AGENT_HOST"),
        ("docker-compose.yml", 4, "algolia", "env", "ALGOLIA_APP_ID"),
        ("pom.xml", 9, "stripe", "dependency", "<artifactId>stripe-java</artifactId>"),
        ("src/Api/Api.csproj", 3, "sendgrid", "dependency", '<PackageReference Include="SendGrid" Version="9.29.3" />'),
        ("src/Api/Api.csproj", 4, "sentry", "dependency",
         '<PackageReference Include="Sentry.AspNetCore" Version="4.0.0" />'),
        ("web/.env.example", 16, "mailgun", "env", "MAILGUN_DOMAIN"),
        ("web/composer.json", 6, "sentry", "dependency", '"sentry/sentry-laravel": "^4.0"'),
    ]


def test_the_same_tree_without_git_gives_the_same_evidence(tmp_path: Path) -> None:
    files = {**PYTHON_SERVICE, **{f"web/{k}": v for k, v in NODE_APP.items()}}
    with_git = scan(tree(tmp_path / "a", files))
    plain = scan(tree(tmp_path / "b", files, commit=False))
    assert found(plain) == found(with_git)
    assert plain.files == with_git.files


def test_the_compliance_repo_inside_source_is_not_evidence(tmp_path: Path) -> None:
    files = {"registry/stripe.yaml": "website: https://api.stripe.com\n", "app.py": 'U = "https://api.openai.com"\n'}
    got = scan(tree(tmp_path / "same", files), skip=("registry", "policies"))
    assert [e.service for e in got.evidence] == ["openai"]


def test_untrusted_tree_symlinks_sizes_and_binaries(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    tree(outside, {"secret.py": 'U = "https://api.stripe.com"\n', "package.json": '{"dependencies": {"stripe": "1"}}'},
         commit=False)
    root = tmp_path / "app"
    root.mkdir()
    (root / "link.py").symlink_to(outside / "secret.py")
    (root / "lib").symlink_to(outside)
    (root / "package.json").symlink_to(outside / "package.json")
    files: dict[str, str | bytes] = {
        "big.py": "# " + "x" * (collect.MAX_FILE + 10) + '\nU = "https://api.openai.com"\n',
        "requirements.txt": b"stripe\x00\x01\x02",
        "ok.py": 'U = "https://api.mistral.ai"\n',
    }
    size = f"{len(files['big.py']):,}"
    for commit, big in ((False, ""), (True, ": not read, though it names api.openai.com")):
        got = scan(tree(root, files, commit=commit))
        assert found(got) == [("ok.py", 1, "mistral", "host", "api.mistral.ai")]
        # code too large to read is said, not passed over: in a git tree, with the
        # catalogue hosts git grep saw in it; the symlinked code stays silent
        assert [str(w) for w in got.warnings] == [
            f"big.py:1: warning: file is {size} bytes; the limit is 2,097,152{big}",
            "package.json:1: warning: is a symlink; not followed",
            "requirements.txt:1: warning: binary file where a text manifest was expected",
        ]


@pytest.mark.parametrize(("name", "content", "line", "message"), [
    ("package.json", '{"dependencies": {"stripe": "1",}}', 1, "invalid JSON: Expecting property name"),
    ("package.json", "[1, 2]", 1, "expected a JSON object"),
    ("pyproject.toml", "[project]\ndependencies = [\n  'stripe'\n  'openai',\n]\n", 4, "invalid TOML"),
    ("Pipfile", "[packages\nstripe = '*'\n", 1, "invalid TOML"),
    ("Cargo.toml", "[dependencies]\nsentry = \n", 2, "invalid TOML"),
    ("pom.xml", "<project><dependencies></project>", 1, "invalid XML: mismatched tag"),
    ("pom.xml", '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<project>&lol;</project>', 1,
     "refusing an XML document with a DTD"),
    ("requirements.txt", "stripe\nopenai==\n", 2, "not a requirement"),
    ("go.mod", "module x\nrequire (\n\tgithub.com/stripe/stripe-go\n)\n", 3, "not a require line"),
    ("setup.cfg", "[options\ninstall_requires = stripe\n", 1, "invalid setup.cfg"),
    ("composer.json", "{", 1, "invalid JSON"),
])
def test_a_malformed_manifest_is_a_warning_and_the_rest_is_scanned(
        tmp_path: Path, name: str, content: str, line: int, message: str) -> None:
    got = scan(tree(tmp_path / "p", {name: content, "src/app.py": 'U = "https://api.openai.com"\n'}))
    assert [(w.path, w.line) for w in got.warnings] == [(name, line)]
    assert got.warnings[0].message.startswith(message), got.warnings[0].message
    assert ("src/app.py", 1, "openai", "host", "api.openai.com") in found(got)


def test_requirements_and_manifest_parsers_in_detail() -> None:
    deps, problems = manifests.parse("requirements", "-r base.txt\n-e git+https://x/y#egg=z\n./local\n"
                                     "stripe[async] ; python_version > '3.8'\nhttps://x/a.whl\nsentry-sdk @ https://x/s.whl\n")
    assert [(d.name, d.line) for d in deps] == [("stripe", 4), ("sentry-sdk", 6)] and problems == []
    deps, _ = manifests.parse("pyproject", '[tool.poetry.dependencies]\npython = "^3.11"\nstripe = "^7"\n'
                                           '[tool.poetry.group.dev.dependencies]\nopenai = "*"\n')
    assert [(d.name, d.line) for d in deps] == [("stripe", 3)]
    deps, _ = manifests.parse("pipfile", '[packages]\nstripe = "*"\n[dev-packages]\nopenai = "*"\n')
    assert [(d.name, d.line) for d in deps] == [("stripe", 2)]
    deps, _ = manifests.parse("setup.cfg", "[options]\ninstall_requires =\n    stripe>=5\n    # c\n"
                                           "[options.extras_require]\ntest = openai\nsentry = sentry-sdk\n")
    assert [d.name for d in deps] == ["stripe", "sentry-sdk"]
    deps, _ = manifests.parse("gradle", "dependencies {\n  implementation group: 'com.stripe', name: 'stripe-java'\n}\n")
    assert [d.name for d in deps] == ["com.stripe:stripe-java"]
    deps, _ = manifests.parse("npm", '{"optionalDependencies": {"posthog-js": "1"}, "bundledDependencies": ["x"]}')
    assert [d.name for d in deps] == ["posthog-js", "x"]


def test_host_extraction_in_detail() -> None:
    def hosts(src: str, path: str = "a.py") -> list[tuple[int, str]]:
        return [(h.line, h.text) for h in text.hosts(src, path, MATCHER)]

    assert hosts('u = "https://key:secret@api.stripe.com:443/v1"\n') == [(1, "api.stripe.com")]
    assert hosts('u = f"https://{bucket}.s3.amazonaws.com/x"\n') == [(1, "s3.amazonaws.com")]
    assert hosts('u = "mongodb+srv://u:p@cluster0.ab1cd.mongodb.net/db"\n') == [(1, "cluster0.ab1cd.mongodb.net")]
    assert hosts('u = "stripe.com api.stripe.com"\n') == []  # no scheme, no URL
    assert hosts('u = "javascript://api.stripe.com"\n') == []  # not a network scheme
    assert hosts('u = "https://api.stripe.com.evil.example/x"\n') == []
    assert hosts("x = 1  # https://api.stripe.com\n" 'y = "a#b" + "https://api.openai.com"\n') == [(2, "api.openai.com")]
    assert hosts("=begin\nhttps://api.stripe.com\n=end\nu = 'https://api.openai.com'\n", "a.rb") == [(4, "api.openai.com")]
    assert hosts("-- https://api.stripe.com\nselect 'https://api.openai.com';\n", "q.sql") == [(2, "api.openai.com")]
    assert hosts("<!--\n<script src='https://js.stripe.com'>\n-->\n<script src='https://js.stripe.com/v3'>\n",
                 "t.html") == [(4, "js.stripe.com")]
    # links for people to follow are not uses of a service
    assert hosts("<a class='x' href='https://stripe.com/docs'>Stripe</a> <a href='https://api.stripe.com'>\n", "t.html") == []
    assert hosts('x = {"homepage_url": "https://api.stripe.com", "docs_url": "https://api.openai.com"}\n') == []
    assert hosts('parser.add_argument("--url", help="e.g. https://api.stripe.com")\n') == []
    assert hosts('see = "[docs](https://api.stripe.com)"\n') == []
    assert hosts("x" * 9000 + " https://api.stripe.com\n") == []  # minified


def test_what_is_not_a_use_of_a_url() -> None:
    """Round 2's rules: each case is the shape of a look-alike found in real product code."""
    def hosts(src: str, path: str = "a.py") -> list[tuple[int, str, str]]:
        return [(h.line, h.service, h.text) for h in text.hosts(src, path, MATCHER)]

    # an HTML comment, in markup or in a template held by any kind of file (YAML, Python)
    assert hosts('config: |\n  <View/>\n  <!-- {\n    "img": "https://raw.githubusercontent.com/a/b/x.png"\n  }\n'
                 '  -->\n  <Image value="https://api.stripe.com/v1"/>\n', "config.yml") == [(7, "stripe", "api.stripe.com")]
    assert hosts('T = """\n<!-- https://api.stripe.com -->\n"""\nU = "https://api.openai.com"\n') == [
        (4, "openai", "api.openai.com")]
    # an example value: a form's sample, example or placeholder, however it is passed on
    assert hosts('f = CharField(help_text=_("e.g. {sample}").format(sample="https://tile.openstreetmap.org/{z}"))\n') == []
    assert hosts('<input placeholder="https://hooks.slack.com/services/T0/B0/X">\n', "form.html") == []
    assert hosts("cfg = {example_url: 'https://api.stripe.com/v1'}\n", "cfg.js") == []
    assert hosts('resample = "https://api.stripe.com/v1"\n') == [(1, "stripe", "api.stripe.com")]  # a word, not a key
    # a value the code compares with is not one it calls
    assert hosts("if endpoint == 'https://www.linkedin.com/oauth/v2/accessToken':\n") == []
    assert hosts("if (url !== 'https://api.stripe.com/v1') {}\n", "a.js") == []
    assert hosts("client = Client('https://api.stripe.com/v1')\n") == [(1, "stripe", "api.stripe.com")]
    # a page for people to read (the path ends in .html), not an API or an asset
    assert hosts('chat = "https://v2.zopim.com/widget/livechat.html?key=Y6g"\n') == []
    assert hosts('chat = "https://v2.zopim.com/widget/livechat.js"\n') == [(1, "zendesk", "v2.zopim.com")]
    # a service named by its host and the path its API lives under
    assert hosts('U = "https://www.googleapis.com/drive/v3/files"\nV = "https://www.googleapis.com/pagespeedonline/v5"\n') == [
        (1, "google-workspace", "www.googleapis.com")]
    assert hosts("<script src='https://www.google.com/recaptcha/api.js'></script>\n", "t.html") == [
        (1, "google-recaptcha", "www.google.com")]


def test_a_description_is_text_whatever_quotes_its_words_hold() -> None:
    """Round 19: the text of a description or help is not a use, also when its key is
    quoted (JSON, a JSON schema's `"description"`) and when the text holds other quotes
    (an apostrophe, a name in backticks) before the URL; the same URL as a value is."""
    def hosts(src: str, path: str) -> list[tuple[int, str]]:
        return [(h.line, h.service) for h in text.hosts(src, path, MATCHER)]

    schema = ('{\n  "DataLakeObject": {\n    "description": "See `category` from '
              'https://developer.salesforce.com/docs/data/connectapi",\n    "type": "string"\n  },\n'
              '  "endpoint": {"default": "https://login.salesforce.com/services/oauth2/token"}\n}\n')
    assert hosts(schema, "schemas/project.json") == [(6, "salesforce")]
    assert hosts("opt = {'description': \"The bot's webhook, https://hooks.slack.com/services/T0/B0\"}\n", "a.py") == []
    assert hosts("add(help='Don`t forget https://hooks.slack.com/services/T0/B0')\n", "a.py") == []
    # a closed description, then a value: the value is still a use
    assert hosts('x = {"description": "it\'s", "url": "https://hooks.slack.com/services/T0/B0"}\n', "a.py") == [
        (1, "slack")]
    assert hosts('{"title": "Slack", "webhook": "https://hooks.slack.com/services/T0/B0"}\n', "a.json") == [(1, "slack")]


def test_round_8_link_keys_continued_keys_and_comments_in_strings() -> None:
    """Round 8's rules: an issue tracker, changelog or forum key, a key that names the
    URL first, a documentation key whose value is on the next line, and a comment line
    inside a template string are links or text, not uses; a plain key is still a use."""
    def hosts(src: str, path: str = "a.py") -> list[tuple[int, str, str]]:
        return [(h.line, h.service, h.text) for h in text.hosts(src, path, MATCHER)]

    assert hosts("ISSUE_TRACKER_URL = 'https://api.stripe.com/issues'\nURL_SUPPORT = 'https://api.stripe.com/s'\n"
                 "cfg = {'changelog': 'https://api.stripe.com/c', 'forum_url': 'https://api.stripe.com/f'}\n") == []
    assert hosts("SOURCE_CODE = 'https://api.stripe.com/x'\nURL_API = 'https://api.openai.com/v1'\n") == [
        (2, "openai", "api.openai.com")]
    # a documentation key whose value is on the next line; an ordinary key so written is a use
    assert hosts("SUPPORT_URL = (\n    'https://api.stripe.com/articles/1'\n    '-more'\n)\n") == []
    assert hosts("HELP = [\n    'https://api.stripe.com/a',\n]\n") == []
    assert hosts("API_URL = (\n    'https://api.stripe.com/v1'\n)\n") == [(2, "stripe", "api.stripe.com")]
    assert hosts("'https://api.stripe.com/v1'\n") == [(1, "stripe", "api.stripe.com")]  # no line before it
    assert hosts("SUPPORT_URL = (\n    client.get('https://api.stripe.com/v1')\n)\n") == [
        (2, "stripe", "api.stripe.com")]  # not a string of its own: the call is the use
    # a comment line of the code a Python template string holds (a generated setup.py)
    assert hosts('SETUP = """\nclassifiers = [\n    # see https://api.stripe.com/list\n]\n"""\n'
                 'URL = "https://api.openai.com/v1"\n') == [(6, "openai", "api.openai.com")]
    assert hosts('SETUP = """\n    url = "https://api.stripe.com/v1"\n"""\n') == [(2, "stripe", "api.stripe.com")]


def test_round_9_oembed_endpoints_and_sentences() -> None:
    """Round 9's rules: an oEmbed endpoint (a provider list's) asks about a link the
    user pasted; a URL inside a sentence for people is text. The same hosts called
    are uses."""
    def hosts(src: str, path: str = "a.py") -> list[tuple[int, str, str]]:
        return [(h.line, h.service, h.text) for h in text.hosts(src, path, MATCHER)]

    assert hosts('P = {"endpoint": "https://api.stripe.com/services/oembed/", "x": "https://api.stripe.com/oembed"}\n'
                 'Q = "https://api.stripe.com/oembed.json?url={u}"\n') == []
    assert hosts('U = "https://api.stripe.com/v1/embed"\nV = "https://api.stripe.com/oembedder"\n') == [
        (1, "stripe", "api.stripe.com"), (2, "stripe", "api.stripe.com")]
    assert hosts("res.send({msg: 'Check the address you get by going to https://api.stripe.com/ip'})\n", "a.js") == []
    assert hosts('warn("A new version is available at https://api.stripe.com/v1")\n') == []
    assert hosts('run("curl -fsSL https://api.stripe.com/v1 | sh")\n') == [(1, "stripe", "api.stripe.com")]
    assert hosts('get("Bearer xyz https://api.stripe.com/v1")\n') == [(1, "stripe", "api.stripe.com")]  # two words
    assert hosts("<img alt='A photo of the team' src='https://api.stripe.com/x.png'>\n", "t.html") == [
        (1, "stripe", "api.stripe.com")]


def test_a_frameworks_provider_package_of_one_vendor_is_that_vendors_dependency(tmp_path: Path) -> None:
    """A Medusa, Strapi or Django integration package made for one vendor is a runtime
    dependency on that vendor; the framework's generic module, and a provider for
    software the product runs itself, are not."""
    root = tree(tmp_path / "shop", {
        "package.json": '{\n  "name": "shop",\n  "dependencies": {\n'
                        '    "@medusajs/payment": "^2.0.0",\n'
                        '    "@medusajs/payment-stripe": "^2.0.0",\n'
                        '    "@strapi/provider-email-nodemailer": "^5.0.0",\n'
                        '    "strapi-provider-email-sendgrid": "^3.6.0"\n  }\n}\n',
        "requirements.txt": "django>=5\ndj-stripe==2.11.0\ndjango-anymail\n",
    })
    assert found(scan(root)) == [
        ("package.json", 5, "stripe", "dependency", '"@medusajs/payment-stripe": "^2.0.0",'),
        ("package.json", 7, "sendgrid", "dependency", '"strapi-provider-email-sendgrid": "^3.6.0"'),
        ("requirements.txt", 2, "stripe", "dependency", "dj-stripe==2.11.0"),
    ]


def test_an_api_host_on_a_tenant_subdomain_or_beside_the_vendors_docs_is_found(tmp_path: Path) -> None:
    """Round 12's hosts: an account's own API (`{subdomain}.wufoo.com/api/v3/`), an
    OpenAI-compatible base URL (`ollama.com/v1`, Tencent's Hunyuan), an older quotes
    API; the same vendors' documentation and library pages are not evidence."""
    root = tree(tmp_path / "svc", {
        "app/feeds.py": 'WUFOO_URL = "https://{subdomain}.wufoo.com/api/v3/"\n'
                        'RATE_SERVICE = "http://download.finance.yahoo.com/d/quotes.csv?s={}=X"\n'
                        'client.get("https://www.wufoo.com/docs/api/v3/")\n',
        "app/models.ts": "export const a = { baseURL: 'https://api.hunyuan.cloud.tencent.com/v1' };\n"
                         "export const b = { baseURL: 'https://ollama.com/v1' };\n"
                         "export const c = { baseURL: 'https://ollama.com/library' };\n"
                         "export const d = { baseURL: 'https://cloud.tencent.com/document/product/1729' };\n",
    })
    assert found(scan(root)) == [
        ("app/feeds.py", 1, "wufoo", "host", "wufoo.com"),
        ("app/feeds.py", 2, "yahoo-finance", "host", "download.finance.yahoo.com"),
        ("app/models.ts", 1, "tencent-cloud", "host", "api.hunyuan.cloud.tencent.com"),
        ("app/models.ts", 2, "ollama-cloud", "host", "ollama.com"),
    ]


def test_the_installed_command_applies_rounds_8_to_10(installed: Any, repo: Any, tmp_path: Path) -> None:
    """Through the installed `subreg scan`: a configuration template, an oEmbed provider
    list, a sentence, a continued support key and a comment in a template string are not
    evidence; a single-service client package and the same hosts called are."""
    from test_scan import TODAY, as_json, compliance

    compliance(repo)
    product = tree(tmp_path / "app", {
        "package.json": '{"name": "app", "dependencies": {"multer-s3": "^3.0.0"}}\n',
        "templates/initdir/config.py.tmpl": 'BACKEND = "https://api.openai.com/v1"\n',
        "app/embeds.py": 'PROVIDERS = [{"endpoint": "https://api.stripe.com/services/oembed/"}]\n'
                         'SUPPORT_URL = (\n    "https://api.twilio.com/help"\n)\n'
                         'SETUP = """\n# see https://api.sendgrid.com/v3\n"""\n',
        "app/notice.js": "warn('A new version is available at https://api.mixpanel.com/v1');\n"
                         "fetch('https://api.sendgrid.com/v3/mail/send');\n",
    })
    res = installed("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    doc = as_json(res.out)
    assert res.code == 1, res.err
    assert [(f["service"], f["evidence"][0]["kind"], Path(f["path"]).name, f["line"]) for f in doc["findings"]] == [
        ("aws", "dependency", "package.json", 1), ("sendgrid", "host", "notice.js", 2)]


def test_the_installed_command_says_which_code_was_too_large_to_read(installed: Any, repo: Any, tmp_path: Path) -> None:
    """A built bundle over the size limit that names a catalogue host is a warning with
    the hosts it names (the product's only code may be in it); one that names none is
    passed over in silence; the rest of the tree is scanned."""
    from test_scan import TODAY, as_json, compliance

    compliance(repo)
    filler = "x=1;\n" * (collect.MAX_FILE // 4)
    product = tree(tmp_path / "widget", {
        "package.json": '{"name": "widget", "main": "dist/widget.js"}\n',
        "dist/widget.js": 'fetch("https://api.stripe.com/v1/charges");\n' + filler,
        "dist/icons.js": filler,
        "lib/mail.js": "fetch('https://api.sendgrid.com/v3/mail/send');\n",
    })
    res = installed("--repo", repo.path, "--today", TODAY, "scan", product, "--format", "json")
    doc = as_json(res.out)
    size = len('fetch("https://api.stripe.com/v1/charges");\n' + filler)
    assert doc["services"] == ["sendgrid"], res.err
    assert [(Path(w["path"]).name, w["line"], w["message"]) for w in doc["warnings"]] == [
        ("widget.js", 1, f"file is {size:,} bytes; the limit is 2,097,152: not read, though it names api.stripe.com")]


def test_a_service_known_by_its_url_path_is_found_in_a_whole_tree(tmp_path: Path) -> None:
    """git grep reports authorities only: a host that some service claims by path makes
    its files worth reading, and the path then decides."""
    root = tree(tmp_path, {
        "app/drive.py": 'BASE = "https://www.googleapis.com/drive/v3"\n',
        "app/pagespeed.py": 'BASE = "https://www.googleapis.com/pagespeedonline/v5"\n',
        "web/index.html": "<script src='https://www.google.com/recaptcha/api.js'></script>\n",
    })
    got = scan(root)
    assert [(e.path, e.line, e.service, e.text) for e in got.evidence] == [
        ("app/drive.py", 1, "google-workspace", "www.googleapis.com"),
        ("web/index.html", 1, "google-recaptcha", "www.google.com")]


def test_env_template_framework_defaults() -> None:
    def env(src: str) -> list[tuple[int, str, str]]:
        return [(h.line, h.service, h.text) for h in text.env_template(src, MATCHER)]

    assert env("AWS_DEFAULT_REGION=us-east-1\nAWS_BUCKET=\n") == []
    assert env("AWS_DEFAULT_REGION=us-east-1\nAWS_BUCKET=acme-uploads\n") == [
        (1, "aws", "AWS_DEFAULT_REGION"), (2, "aws", "AWS_BUCKET")]
    assert env("export STRIPE_KEY='sk_test_x'  \nSTRIPE_=1\n") == [(1, "stripe", "STRIPE_KEY")]
    assert env('VITE_PUSHER_APP_KEY="${PUSHER_APP_KEY}"\n') == []


def _no_findings_for(got: Any) -> None:
    assert got.evidence == []
