/**
 * Each developer's whole home on the data volume, on a real host (./lab.ts): git's global config,
 * a file in ~ and the shell history across a recreated container; a developer with the layout
 * before whole homes (one mount per folder) moved in with nothing lost; and root on the host never
 * following a link a developer planted in a path devenv touches.
 */
import { expect, it } from 'vitest';
import { shellQuote } from '../../src/remote/templates.js';
import type { Workspace } from '../integration/moto.js';
import { describeOnHost, useWorld, type World } from './world.js';

const DATA = '/mnt/ebs-data';
const COMPOSE = 'docker compose -p devenv -f /etc/devenv/docker-compose.yml';
/** An extension as a .vsix in each home: `containers.extensions` installs it and devenv records it. */
const VSIX = '/home/coder/devenv-lab.vsix';

/**
 * Every path of the host outside the developers' homes that root could be tricked into changing,
 * with type, owner, mode, link target and a checksum of each file. Only the lab's private /etc,
 * /root, /home and /srv, devenv's folders on the volume, and the machine's /usr/local (read only).
 */
const OUTSIDE =
  `{ find /etc /root /srv /home ${DATA} -xdev \\( -path '${DATA}/*/home' -o -path '${DATA}/*/home/*' -o -path '${DATA}/lost+found' \\) -prune -o -printf '%p %y %U:%G %m %l\\n'; ` +
  `find /usr/local -xdev -printf '%p %y %U:%G %m %s %T@ %l\\n'; find /etc /root /srv /home -xdev -type f -exec md5sum {} +; } | sort`;

describeOnHost("each developer's whole home on the data volume", () => {
  let world: World;
  let ws: Workspace;
  const inContainer = (who: string, command: string) =>
    world.lab.exec(`docker exec -u coder code-server-${who} bash -c ${shellQuote(command)}`);
  const recreate = async (who: string) => {
    const before = (await world.containerIds())[`code-server-${who}`];
    await world.lab.exec(`${COMPOSE} up -d --no-deps --force-recreate code-server-${who} 2>&1`);
    expect((await world.containerIds())[`code-server-${who}`]).not.toBe(before);
  };

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(['alice', 'bob']);
    // alice as the layout before whole homes left her: a folder per mount, her work in each, a link
    // she planted from her container where devenv used to append its extensions list, and one a
    // process of uid 1000 on the host (which owned her folder then) put in place of her ~/.ssh.
    const loop = world.lab.loopDevice;
    await world.lab.exec(`set -e; mkfs.ext4 -q ${loop}; mkdir -p /tmp/old; mount ${loop} /tmp/old; cd /tmp/old
      mkdir -p alice/workspace/src alice/config/code-server alice/data/User
      echo 'print("mine")' > alice/workspace/src/main.py
      printf 'bind-addr: 0.0.0.0:8080\\nauth: password\\ncert: false\\n' > alice/config/code-server/config.yaml
      echo '{"editor.fontSize": 15}' > alice/data/User/settings.json
      ln -s /etc/sudoers alice/data/.devenv-extensions
      ln -s /etc alice/workspace/etc-link
      printf '[user]\\n\\tname = Alice Legacy\\n' > alice/gitconfig
      ln -s /root alice/ssh
      chown -R 1000:1000 alice; cd /; umount /tmp/old`);
    await world.provision(ws);
  });

  it('moves the folders of the layout before into the home, nothing lost, and names the link it refused', async () => {
    const sudoers = await world.lab.exec('md5sum /etc/sudoers; stat -c "%U %a" /etc/sudoers /root');
    const r = await world.up(ws);
    expect(r.stderr).toContain(
      `refused on the host: ${DATA}/alice/ssh is a symbolic link (to /root): not moved into alice's home`,
    );
    expect(r.stderr).toContain(`alice: moved ${DATA}/alice/workspace to ~/workspace`);
    expect(await world.lab.exec('md5sum /etc/sudoers; stat -c "%U %a" /etc/sudoers /root')).toBe(sudoers);
    expect(
      await inContainer(
        'alice',
        'cat ~/workspace/src/main.py ~/.local/share/code-server/User/settings.json; git config --global user.name; pwd',
      ),
    ).toBe('print("mine")\n{"editor.fontSize": 15}\nAlice Legacy\n/home/coder/workspace\n');
    expect(await world.lab.exec(`ls -A ${DATA}/alice; stat -c "%u %a" ${DATA}/alice ${DATA}/alice/home`)).toBe(
      'home\nskeleton-copied\nssh\n0 755\n1000 700\n',
    );
    // The image's own files of /home/coder reach both homes: the migrated one and the new one.
    for (const who of ['alice', 'bob']) expect(await inContainer(who, 'test -f ~/.bashrc && echo yes')).toBe('yes\n');
    for (const who of ['alice', 'bob'])
      expect(
        (await world.login((await ws.state()).allocations[who].port, await world.password(ws, who))).status,
        who,
      ).toBe(302);
  }, 600_000);

  it('git config --global works, and it, a file in ~ and the shell history survive a recreated container', async () => {
    expect(
      await inContainer('bob', 'git config --global user.name "Bob Builder" && git config --global user.name'),
    ).toBe('Bob Builder\n');
    await inContainer(
      'bob',
      'echo "not in the workspace" > ~/notes.txt && mkdir -p ~/.npm && echo cache > ~/.npm/entry',
    );
    await world.lab.exec(
      'printf "echo devenv-history-marker\\nexit\\n" | docker exec -i -u coder -e HISTFILE=/home/coder/.bash_history code-server-bob bash -i >/dev/null 2>&1',
    );
    await recreate('bob');
    expect(
      await inContainer(
        'bob',
        'git config --global user.name; cat ~/notes.txt ~/.npm/entry; grep -c devenv-history-marker ~/.bash_history',
      ),
    ).toBe('Bob Builder\nnot in the workspace\ncache\n1\n');
    // And the next up keeps it all: nothing to recreate, nothing moved.
    const r = await world.up(ws);
    expect(r.stderr).toContain('none restarted');
    expect(await inContainer('bob', 'git config --global user.name; cat ~/notes.txt')).toBe(
      'Bob Builder\nnot in the workspace\n',
    );
  }, 600_000);

  it('root follows none of the links a developer plants where devenv works: nothing outside the homes changes', async () => {
    // An extension to install, so that devenv records what it installed (it used to append that to a file in the home).
    await world.lab.exec(`set -e; d=$(mktemp -d); cd $d; mkdir extension
      printf '{"name":"lab-ext","publisher":"devenv","version":"0.0.1","engines":{"vscode":"^1.0.0"}}' > extension/package.json
      printf '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="json" ContentType="application/json"/><Default Extension="vsixmanifest" ContentType="text/xml"/></Types>' > '[Content_Types].xml'
      printf '<?xml version="1.0" encoding="utf-8"?><PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011"><Metadata><Identity Language="en-US" Id="lab-ext" Version="0.0.1" Publisher="devenv"/><DisplayName>lab-ext</DisplayName><Description>lab</Description><Properties><Property Id="Microsoft.VisualStudio.Code.Engine" Value="^1.0.0"/></Properties></Metadata><Installation><InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation><Dependencies/><Assets><Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/></Assets></PackageManifest>' > extension.vsixmanifest
      python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],"w"); [z.write(f) for f in sys.argv[2:]]; z.close()' lab.vsix '[Content_Types].xml' extension.vsixmanifest extension/package.json
      for who in alice bob; do install -o 1000 -g 1000 -m 0644 lab.vsix ${DATA}/$who/home/devenv-lab.vsix; done; rm -rf $d`);
    await ws.editConfig((c) => (c.containers.extensions = [VSIX]));
    // From inside bob's container, as bob: links where devenv used to write (code-server's config
    // folder, the extensions list, ~/.gitconfig, ~/.ssh) and in place of the working folder.
    await inContainer(
      'bob',
      `set -e; cd ~
      mv .config/code-server .config/code-server.real && ln -s /etc .config/code-server
      mkdir -p .local/share/code-server && ln -sfn /etc/sudoers .local/share/code-server/.devenv-extensions
      rm -f .gitconfig && ln -s /etc/passwd .gitconfig
      ln -s /root .ssh
      mv workspace workspace.real && ln -s /etc workspace
      ln -s /etc/sudoers ~/sudoers-link`,
    );
    await world.lab.exec(`ln -s /etc/shadow ${DATA}/alice/home/.devenv-extensions`);
    // bob's code-server reads its config through the link now: give the container's own /etc one (inside the container only).
    await world.lab.exec(
      'docker exec -u coder code-server-bob cat /home/coder/.config/code-server.real/config.yaml | docker exec -i -u root code-server-bob sh -c "cat > /etc/config.yaml"',
    );
    const before = await world.lab.exec(OUTSIDE);
    expect(before).toContain(' /etc/sudoers\n');

    const r = await world.up(ws);
    expect(r.stderr).toContain(`alice: installed ${VSIX}`);
    expect(r.stderr).toContain(`bob: installed ${VSIX}`);
    expect(
      await world.lab.exec(`cat ${DATA}/bob/extensions-installed; stat -c "%U %a" ${DATA}/bob/extensions-installed`),
    ).toBe(`${VSIX}\nroot 644\n`);
    // Refused where seen: alice's old ~/.ssh link is still named on every run.
    expect(r.stderr).toContain(`refused on the host: ${DATA}/alice/ssh is a symbolic link (to /root)`);

    const after = await world.lab.exec(OUTSIDE);
    const changed = after.split('\n').filter((l) => !before.split('\n').includes(l));
    // The only files devenv writes outside the homes: its own records (the compose file and
    // CloudWatch agent config are rewritten with the same content), and the extensions list in each developer's root-owned folder.
    expect(
      changed.filter(
        (l) =>
          !l.startsWith(`${DATA}/alice/extensions-installed `) && !l.startsWith(`${DATA}/bob/extensions-installed `),
      ),
    ).toEqual([]);
    // The planted links are still the developer's, untouched; their targets unchanged (above).
    expect(
      await world.lab.exec(
        `readlink ${DATA}/bob/home/.config/code-server ${DATA}/bob/home/.local/share/code-server/.devenv-extensions ${DATA}/bob/home/workspace`,
      ),
    ).toBe('/etc\n/etc/sudoers\n/etc\n');

    // A container recreated on a home with links in it: Docker resolves them inside the container, never on the host.
    await inContainer('bob', 'rm ~/.config/code-server && mv ~/.config/code-server.real ~/.config/code-server');
    const outside = await world.lab.exec(OUTSIDE);
    await recreate('bob');
    expect(await world.lab.exec(OUTSIDE)).toBe(outside);
  }, 900_000);
});
