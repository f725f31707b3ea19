# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shell commands of the README and the guides, run as written (`make docs-commands`).

Every command of a ```sh block of README.md and docs/*.md (a `# or: COMMAND` comment line
is a command too), and every inline `ansible-doc ...` and `ansible-galaxy ...`, must be in
COMMANDS below, exactly as the docs write it: either run, or skipped with the reason why it
cannot run here. A command added or changed in the docs fails this check until it is
listed, and a listed command that fails fails it.

A guide's block runs as a user pastes it into a terminal: one bash reading the block's
lines from its standard input, so `read` and an interactive shell read the lines that
follow (the secret a user would type is given as such a line). Before each command the
checker only changes to the directory the guide means (`cd`), and for a command that needs
a terminal or a value only a person would give it, starts it with those (an editor, a
terminal). The blocks run in a copy of the checkout with a home directory of their own
(`~/.ansible/collections` is there), against the emulator that `hack/with-emulator.sh`
started for this run: `DIALOGTECH_API_URL` points at it and the demo account's keys are in
the environment, as `make demo` sets them.

Also checked here, with the files the guides create: the vault file that docs/credentials.md
has users create beside the example leaves `ansible-playbook --syntax-check` (which
ansible-lint runs) working without the vault password; the build context that the guide's
`ansible-builder create` writes installs the collection and the ansible-core the example
names, and with its local-build snippet applied as the guide says, it holds the collection
`make install` built and installs that one.

Usage: hack/with-emulator.sh python tests/docs/commands.py LINT_VENV
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'emulator'))
import client as emulator  # noqa: E402  pylint: disable=wrong-import-position

# The guides in the order a newcomer reads them: the README, then docs/ as docs/README.md
# lists them. A guide missing here fails the check.
GUIDES = ['README.md', 'docs/getting-started.md', 'docs/credentials.md', 'docs/module.md', 'docs/lookup.md',
          'docs/remediation.md', 'docs/compliance-role.md', 'docs/event-driven.md', 'docs/execution-environments.md',
          'docs/troubleshooting.md', 'docs/README.md']
SECRET = 'demo-secret-key'
VAULT_PASSWORD = 'vault-password-of-the-docs-check'
EXAMPLES = 'docs/examples'
DEMO_TABLE = '4 number(s); the API says: [4] Number(s) Returned'


class Run(object):
    """Run the command as written. cwd: the directory of the checkout the guide means;
    typed: a line a person types at the command's prompt; env: variables set (None: unset)
    for the command alone, `{name}` standing for a file of the run; tty: the command needs
    a terminal; expect: text the block's output must have (`{version}`: galaxy.yml's)."""

    def __init__(self, cwd='.', typed=None, env=None, tty=False, expect=()):
        self.cwd, self.typed, self.env, self.tty = cwd, typed, env or {}, tty
        self.expect = (expect,) if isinstance(expect, str) else expect


class Skip(object):
    def __init__(self, reason):
        self.reason = reason


NOT_HERE_GALAXY = Skip('installs from Galaxy, which these runs cannot reach; the tarball built here is installed instead')
NOT_HERE_KEY = Skip('a placeholder for your own Access Key (the runs use the demo account\'s, from the environment)')
NOT_HERE_WHOLE = Skip('`make test` itself (this check is part of it)')
WITHOUT_KEYS = {'DIALOGTECH_ACCESS_KEY': None, 'DIALOGTECH_SECRET_ACCESS_KEY': None}

COMMANDS = {
    # README.md, Install; getting-started.md, step 3.
    'ansible-galaxy collection install dialogtech.api': NOT_HERE_GALAXY,
    'make build && ansible-galaxy collection install .build/dialogtech-api-*.tar.gz': Run(
        expect='dialogtech.api:{version} was installed successfully'),
    # Offline and as a dry run (PIP_NO_INDEX, PIP_DRY_RUN): the file must be where the
    # guide says and what it asks for satisfied by the pinned set, and nothing changes.
    'pip install -r ~/.ansible/collections/ansible_collections/dialogtech/api/requirements.txt': Run(
        expect='Requirement already satisfied: defusedxml'),
    # README.md, Quickstart.
    'git clone https://github.com/dialogtech-api/dialogtech.api.git && cd dialogtech.api': Skip(
        'needs GitHub; the runs use a copy of this checkout instead'),
    'make demo': Run(expect=DEMO_TABLE),
    # README.md and getting-started.md, the real account: the keys as a person enters them.
    'export DIALOGTECH_ACCESS_KEY=...': NOT_HERE_KEY,
    'export DIALOGTECH_ACCESS_KEY=<your Access Key>': NOT_HERE_KEY,
    "printf 'Secret Access Key (not shown as you type): ' && read -rs DIALOGTECH_SECRET_ACCESS_KEY && echo"
    " && export DIALOGTECH_SECRET_ACCESS_KEY": Run(typed=SECRET),
    'unset DIALOGTECH_API_URL': Run(),
    'make run PLAYBOOK=docs/examples/demo.yml': Run(expect=DEMO_TABLE),
    # README.md, Development.
    'make test': NOT_HERE_WHOLE,
    'make test-matrix': Skip('every supported ansible-core and Python, a venv each: tens of minutes'),
    'make lint': Skip('`make test` runs it as its last step'),
    'make build': Run(),
    'make changelog': Run(),  # in the copy: the fragments it releases stay in the checkout
    'make clean': Run(),
    # getting-started.md, step 2: the emulator for an interactive shell, which reads the
    # line after it as a person types it.
    '. .venv/bin/activate': Run(),
    'export ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections': Run(),
    'export DIALOGTECH_ACCESS_KEY=demo-access-key DIALOGTECH_SECRET_ACCESS_KEY=demo-secret-key': Run(),
    'hack/with-emulator.sh bash': Run(),
    'cd docs/examples && ansible-playbook -i inventory.yml lookup.yml': Run(
        expect='gateway-a: 5559990000 -> https://sms.example.com/listener'),
    # getting-started.md, step 4, and credentials.md: with the collection installed above.
    'ansible-playbook docs/examples/demo.yml': Run(expect='Number(s) Returned'),
    # credentials.md, Ansible Vault: beside the example playbook, as its comment says.
    # The editor writes the demo account's keys; the password is what the next block types.
    'ansible-vault create dialogtech-credentials.vault.yml': Run(cwd=EXAMPLES, tty=True, env={
        'EDITOR': '{editor}', 'ANSIBLE_VAULT_PASSWORD_FILE': '{vault_password_file}'}),
    'ansible-playbook credentials.yml --ask-vault-pass': Run(
        cwd=EXAMPLES, typed=VAULT_PASSWORD, env=WITHOUT_KEYS,
        expect='4 number(s), the same from the module and the lookup'),
    # credentials.md, an inventory: the credentials integration target writes this layout
    # as the guide shows it, the secret from encrypt_string, and runs this site.yml.
    "printf 'Secret Access Key (not shown as you type): ' && read -rs secret && echo": Skip(
        'part of the inventory layout that tests/integration/targets/credentials builds and runs'),
    'printf \'%s\' "$secret" | ansible-vault encrypt_string --vault-password-file ~/.dialogtech-vault-pass \\\n'
    '    --stdin-name dialogtech_secret_access_key >>inventory/group_vars/all/dialogtech.yml': Skip(
        'part of the inventory layout that tests/integration/targets/credentials builds and runs'),
    'ansible-playbook -i inventory site.yml --vault-password-file ~/.dialogtech-vault-pass': Skip(
        'part of the inventory layout that tests/integration/targets/credentials builds and runs'),
    # compliance-role.md, listener probes: the new listener is on the internet.
    'ansible-playbook -i inventory.yml listener_move.yml -e sms_listener_url=https://sms-v2.example.com/listener': Skip(
        'probes a listener on the internet; tests/integration/targets/dialogtech_sms_listener_info runs this '
        'playbook against a good and a broken local listener'),
    # credentials.md, awx CLI.
    "python3 -c 'import json, sys, yaml; d = yaml.safe_load(open(sys.argv[1]))\n"
    "for key in (\"inputs\", \"injectors\"): json.dump(d[key], open(key + \".json\", \"w\"))'"
    " docs/awx-credential-type.yml": Run(),
    'awx credential_types create --name "DialogTech API" --kind cloud \\\n'
    '    --inputs @inputs.json --injectors @injectors.json': Skip('needs an AWX or Automation Platform server'),
    # The example playbooks, from their folder as the guides say.
    'ansible-playbook -i inventory.yml module.yml': Run(cwd=EXAMPLES, expect='SMS is disabled on 1 number(s): 5559990002'),
    'ansible-playbook -i inventory.yml -f 10 lookup.yml': Run(cwd=EXAMPLES, expect='0559990003: http://legacy.example.com/sms.php'),
    'ansible-playbook -i inventory.yml remediation.yml --check --diff': Run(cwd=EXAMPLES, expect='2 number(s) changed'),
    'ansible-playbook -i inventory.yml remediation.yml': Run(cwd=EXAMPLES, expect='5559990001 -> https://sms-v2.example.com/listener'),
    'ansible-playbook -i inventory.yml compliance_deploy.yml': Run(cwd=EXAMPLES, expect='SMS listener compliance passed'),
    'ansible-playbook compliance_ci.yml -e sms_listener_compliance_report_only=true': Run(cwd=EXAMPLES, expect='insecure_url'),
    # execution-environments.md.
    'pip install ansible-builder': Skip('installs from the package index; the runs use the ansible-builder '
                                        'that requirements/lint.txt pins'),
    'ansible-builder build --file execution-environment.yml --tag dialogtech-ee': Skip(
        'needs a container engine (podman or docker); `ansible-builder create` below writes the same build context'),
    'ansible-builder create --file execution-environment.yml --context context/': Run(cwd='docs', expect='Complete!'),
    # Inline references.
    'ansible-doc dialogtech.api.dialogtech_sms_numbers_info': Run(),
    'ansible-doc dialogtech.api.dialogtech_sms_number': Run(),
    'ansible-doc dialogtech.api.dialogtech_sms_listener_info': Run(),
    'ansible-doc -t lookup dialogtech.api.dialogtech_sms_numbers': Run(),
    'ansible-doc -t filter dialogtech.api.sms_listener_compliance': Run(),
    'ansible-doc -t role dialogtech.api.sms_listener_compliance': Run(),
    'ansible-galaxy collection list dialogtech.api': Run(expect='dialogtech.api'),
}


def run(command, cwd, environment, stdin=''):
    """(exit status, output and errors) of a command."""
    result = subprocess.run(command, cwd=cwd, env=environment, input=stdin.encode(), check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return result.returncode, result.stdout.decode(errors='replace')


def _open_quote(text):
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return True
    return False


def commands_of(text):
    """The commands of a ```sh block: continued lines joined, comments dropped."""
    commands, pending = [], ''
    for line in text.splitlines():
        if not pending:
            stripped = line.strip()
            if stripped.startswith('# or: '):
                line = stripped[len('# or: '):]
            elif not stripped or stripped.startswith('#'):
                continue
            else:
                line = stripped
        pending += line
        if pending.endswith('\\') or _open_quote(pending):
            pending += '\n'
            continue
        commands.append(re.sub(r'\s+# .*$', '', pending).strip())
        pending = ''
    assert not pending, 'unfinished command: %r' % pending
    return commands


def blocks_of(guide):
    """[[command]] of a guide: its ```sh blocks, then its inline commands one a block."""
    text = (ROOT / guide).read_text()
    # A block in a list item is indented as the item's text; the commands are not.
    blocks = [commands_of(re.sub(r'^' + match.group(1), '', match.group(2), flags=re.M))
              for match in re.finditer(r'^( *)```(?:sh|bash|shell)\n([\s\S]*?)^ *```', text, re.M)]
    inline = re.findall(r'(?<!`)`((?:ansible-doc|ansible-galaxy) [^`]+)`', text)
    return blocks + [[command] for command in dict.fromkeys(inline)]


def check_listed():
    """Every command of the guides is in COMMANDS, and every entry of COMMANDS is in a guide."""
    found = {command: guide for guide in GUIDES for block in blocks_of(guide) for command in block}
    guides = {str(path.relative_to(ROOT)) for path in [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))}
    problems = ['%s is not in GUIDES: its commands are not checked' % guide for guide in sorted(guides - set(GUIDES))]
    problems += ['%s: %r is not in COMMANDS of %s: run it or say why not' % (guide, command, __file__)
                 for command, guide in found.items() if command not in COMMANDS]
    problems += ['%r of COMMANDS is in no guide any longer' % command for command in COMMANDS if command not in found]
    return problems


def copy_checkout(target):
    """The files git sees in the checkout (as hack/sync-test-tree.sh takes them), with their
    times, so that make finds .venv up to date, in a repository of their own, as in a clone;
    .venv itself is the checkout's."""
    files = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split('\0')
    for name in filter(None, files):
        source = ROOT / name
        if source.exists() or source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name, follow_symlinks=False)
    subprocess.run(['git', 'init', '-q'], cwd=target, check=True)
    link_venv(target)


def link_venv(target):
    # `make clean` removes .venv; in the copy that is only the link to the checkout's.
    if not (target / '.venv').exists():
        (target / '.venv').symlink_to((ROOT / '.venv').resolve())


def script_of(block, checkout, values):
    """The bash input for a block: each command to run as written, after a `cd` to its
    directory, and followed by what a person would type at it."""
    lines = ['set -e']
    for command in block:
        entry = COMMANDS[command]
        if isinstance(entry, Skip):
            continue
        lines.append('cd %s' % shlex.quote(str(checkout / entry.cwd)))
        if entry.env or entry.tty:
            settings = ['-u %s' % name if value is None else '%s=%s' % (name, shlex.quote(value.format_map(values)))
                        for name, value in entry.env.items()]
            # A terminal of its own, with nothing to read from the block's lines.
            inner = ('script -qec %s /dev/null </dev/null' % shlex.quote(command) if entry.tty
                     else 'bash -ec %s' % shlex.quote(command))
            lines.append('env %s %s' % (' '.join(settings), inner))
        else:
            lines.append(command)
        if entry.typed is not None:
            lines.append(entry.typed)
    return '\n'.join(lines) + '\n'


def run_blocks(checkout, environment, values):
    failures, ran, seen = [], 0, set()
    for guide in GUIDES:
        for block in blocks_of(guide):
            runs = [COMMANDS[command] for command in block if isinstance(COMMANDS[command], Run)]
            # The same block in two guides (an `ansible-doc` reference) runs once.
            if not runs or tuple(block) in seen:
                continue
            seen.add(tuple(block))
            emulator.reset(environment['DIALOGTECH_API_URL'])
            status, output = run(['bash', '-s'], checkout, environment, script_of(block, checkout, values))
            link_venv(checkout)
            ran += len(runs)
            missing = [text for entry in runs for text in entry.expect if text.format_map(values) not in output]
            if status or missing:
                failures.append('%s: the block\n    %s\n%s\n%s' % (
                    guide, '\n    '.join(block), output,
                    'exit status %d' % status if status else 'no %r in the output' % missing))
            else:
                print('ran %s: %s' % (guide, ' | '.join(command.split('\n')[0] for command in block
                                                        if isinstance(COMMANDS[command], Run))))
    return failures, ran


def check_vault_file_and_syntax(checkout, environment):
    """ansible-lint runs `ansible-playbook --syntax-check` on every playbook, with no vault
    password: the example must pass it with the vault file the guide had created beside it."""
    vault_file = checkout / EXAMPLES / 'dialogtech-credentials.vault.yml'
    if not vault_file.is_file() or not vault_file.read_text().startswith('$ANSIBLE_VAULT;'):
        return ['docs/credentials.md\'s ansible-vault create made no vault file at %s' % vault_file.relative_to(checkout)]
    status, output = run(['ansible-playbook', '--syntax-check', 'credentials.yml'], checkout / EXAMPLES,
                         dict(environment, ANSIBLE_COLLECTIONS_PATH=str(checkout / '.build' / 'collections')))
    if status:
        return ['with the vault file of docs/credentials.md beside it, `ansible-playbook --syntax-check '
                'credentials.yml` (what ansible-lint runs) fails:\n%s' % output]
    return []


def image_problems(context, definition_file):
    """What ansible-builder wrote in context/ must install the collection and the ansible-core
    that the definition names: the galaxy stage copies _build/ to /build and installs
    _build/requirements.yml there."""
    images = [context / name for name in ('Containerfile', 'Dockerfile') if (context / name).is_file()]
    if not images:
        return ['%s: ansible-builder wrote no Containerfile or Dockerfile' % context]
    image = images[0].read_text()
    core = yaml.safe_load(definition_file.read_text())['dependencies']['ansible_core']['package_pip']
    problems = ['%s does not %s' % (images[0], what) for what, text in [
        ('copy _build/ to /build', 'COPY _build /build'),
        ('install the collections of requirements.yml', 'ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml'),
        ('install %s' % core, core)] if text not in image]
    requirements = context / '_build' / 'requirements.yml'
    collections = yaml.safe_load(requirements.read_text()).get('collections', []) if requirements.is_file() else []
    if not any('dialogtech' in entry['name'] for entry in collections):
        problems.append('%s/_build/requirements.yml does not name the collection: %s' % (context, collections))
    return problems


def check_execution_environments(checkout, environment, version):
    """execution-environments.md: the build context its `ansible-builder create` wrote
    installs the collection from Galaxy; after `make install`, its snippet applied to
    docs/execution-environment.yml puts the collection built here into the build context,
    and the image's galaxy stage installs it from there."""
    definition_file = checkout / 'docs' / 'execution-environment.yml'
    context = checkout / 'docs' / 'context'
    problems = image_problems(context, definition_file)
    guide = (checkout / 'docs' / 'execution-environments.md').read_text()
    snippets = [yaml.safe_load(block) for block in re.findall(r'^```yaml\n([\s\S]*?)^```', guide, re.M)
                if 'additional_build_files' in block]
    if len(snippets) != 1:
        return problems + ['execution-environments.md: expected one yaml block with additional_build_files, found %d' % len(snippets)]
    definition = yaml.safe_load(definition_file.read_text())
    definition['additional_build_files'] = snippets[0]['additional_build_files']
    definition['dependencies']['galaxy'] = snippets[0]['dependencies']['galaxy']
    definition_file.write_text(yaml.safe_dump(definition))
    shutil.rmtree(context)
    steps = [(checkout, ['make', 'install']),
             (definition_file.parent, ['ansible-builder', 'create', '--file', 'execution-environment.yml', '--context', 'context/'])]
    for cwd, step in steps:
        status, output = run(step, cwd, environment)
        if status:
            return problems + ['local execution environment: %s failed:\n%s' % (' '.join(step), output)]
    problems += image_problems(context, definition_file)
    # The galaxy stage runs in /build, the context's _build: install its requirements from there.
    requirements = (context / '_build' / 'requirements.yml').read_text().replace('/build/', str(context / '_build') + '/')
    (context / 'requirements-here.yml').write_text(requirements)
    installed = Path(tempfile.mkdtemp(dir=checkout))
    # As in the image: no other copy of the collection installed.
    status, output = run(['ansible-galaxy', 'collection', 'install', '--offline', '-r', 'requirements-here.yml',
                          '--collections-path', str(installed)], context, dict(environment, ANSIBLE_COLLECTIONS_PATH=str(installed)))
    manifest = installed / 'ansible_collections' / 'dialogtech' / 'api' / 'MANIFEST.json'
    if status or not manifest.is_file():
        problems.append('local execution environment: the galaxy stage would not install the collection:\n%s' % output)
    elif json.loads(manifest.read_text())['collection_info']['version'] != version:
        problems.append('local execution environment: the image would get version %s, not %s'
                        % (json.loads(manifest.read_text())['collection_info']['version'], version))
    return problems


def main(lint_venv):
    problems = check_listed()
    if problems:
        sys.exit('docs commands:\n' + '\n'.join(problems))
    version = yaml.safe_load((ROOT / 'galaxy.yml').read_text())['version']
    work = Path(tempfile.mkdtemp(prefix='dialogtech-docs-commands.'))
    try:
        checkout, home = work / 'checkout', work / 'home'
        checkout.mkdir()
        home.mkdir()
        copy_checkout(checkout)
        editor = work / 'editor'
        editor.write_text("#!/bin/sh\nprintf 'dialogtech_access_key: demo-access-key\\n"
                          "dialogtech_secret_access_key: %s\\n' >\"$1\"\n" % SECRET)
        editor.chmod(0o700)
        password_file = work / 'vault-password'
        password_file.write_text(VAULT_PASSWORD + '\n')
        values = {'editor': str(editor), 'vault_password_file': str(password_file), 'version': version}
        environment = {name: value for name, value in os.environ.items()
                       if not name.startswith(('ANSIBLE_', 'PIP_', 'VIRTUAL_ENV', 'MAKE', 'MFLAGS'))}
        environment.update(
            HOME=str(home), PATH=os.pathsep.join([str(checkout / '.venv' / 'bin'), str(Path(lint_venv) / 'bin'), os.environ['PATH']]),
            LINT_VENV=str(Path(lint_venv).resolve()), DIALOGTECH_ACCESS_KEY='demo-access-key',
            DIALOGTECH_SECRET_ACCESS_KEY=SECRET, PIP_NO_INDEX='1', PIP_DRY_RUN='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
        failures, ran = run_blocks(checkout, environment, values)
        # The second uses the collection that the first had `make install` install.
        failures += check_execution_environments(checkout, environment, version)
        failures += check_vault_file_and_syntax(checkout, environment)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    skipped = sorted({(command, entry.reason) for command, entry in COMMANDS.items() if isinstance(entry, Skip)})
    print('not run here:\n' + '\n'.join('  %s: %s' % (command.split('\n')[0], reason) for command, reason in skipped))
    if failures:
        sys.exit('docs commands: FAILED\n' + '\n'.join(failures))
    print('docs commands: %d command(s) of the guides ran as written, %d not run (above)' % (ran, len(skipped)))


if __name__ == '__main__':
    main(*sys.argv[1:])
