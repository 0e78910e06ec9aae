import { api } from './api.js';
import { billingTab } from './billing-tab.js';
import { channelsTab } from './channels-tab.js';
import { connectorPage } from './connector-page.js';
import { PortalFrame } from './frame.js';
import { notificationsTab } from './notifications-tab.js';
import { operatorPage } from './operator-page.js';
import { can, readBoot, setCan, startOperatorPage, startPage } from './page.js';
import { pickerPage } from './picker-page.js';
import { rolesTab } from './roles-tab.js';
import { settingsTab } from './settings-tab.js';
import { smsTab } from './sms-tab.js';
import { campaignsTab } from './campaigns-tab.js';
import { templatesTab } from './templates-tab.js';
import { traceTab } from './trace-tab.js';
import type { AdminBoot, InstallBoot } from './types.js';

/**
 * WhatsAppB24's pages in Bitrix24's iframe (served as /ui/app.js, bundled by ../script.ts): the main
 * page with its tabs, the connector's placement, and the install page. Data comes from the JSON API
 * with the Bitrix24 frontend auth the page was opened with; the page talks to the portal window
 * around it through the Bitrix24 SDK (frame.ts).
 */

const TABS = {
  channels: channelsTab,
  templates: () => templatesTab(),
  roles: rolesTab,
  trace: traceTab,
  settings: settingsTab,
  billing: billingTab,
  notifications: notificationsTab,
  sms: smsTab,
  campaigns: campaignsTab,
};
type TabName = keyof typeof TABS;
const isTab = (name: string | null | undefined): name is TabName => !!name && Object.hasOwn(TABS, name);

async function install(b: InstallBoot): Promise<void> {
  const frame = await PortalFrame.connect(b.frame);
  if (frame?.installing) await frame.installFinish();
}

function adminPages(b: AdminBoot): void {
  startPage(b);
  void PortalFrame.connect(b.frame).then((frame) => frame?.fitHeight());
  if (b.page === 'connector') {
    void connectorPage().then(() => document.body.setAttribute('data-ready', 'connector'));
    return;
  }
  if (b.page === 'picker') {
    const ctx = b.picker ?? { kind: 'chat' as const, chatId: null };
    void pickerPage(ctx).then(() => document.body.setAttribute('data-ready', 'picker'));
    return;
  }
  const nav = document.getElementById('tabs');
  const show = async (name: TabName) => {
    nav
      ?.querySelectorAll('button')
      .forEach((btn) => btn.classList.toggle('on', btn.getAttribute('data-tab') === name));
    document.body.setAttribute('data-tab', name);
    await TABS[name]();
    document.body.setAttribute('data-ready', name);
  };
  nav?.addEventListener('click', (e) => {
    const name = e.target instanceof Element ? e.target.getAttribute('data-tab') : null;
    if (isTab(name)) void show(name);
  });
  const hash = location.hash.slice(1);
  void api
    .me()
    .then((me) => setCan(me.can))
    .catch(() => setCan(null))
    .then(() => {
      // Billing is for portal admins and the users whose roles allow it (the API refuses the others).
      const billing = nav?.querySelector<HTMLButtonElement>('[data-tab=billing]');
      if (billing) billing.hidden = !can?.viewBilling;
      const first = isTab(hash) && (hash !== 'billing' || can?.viewBilling) ? hash : 'channels';
      return show(first);
    });
}

const boot = readBoot();
if (boot.page === 'install') void install(boot);
else if (boot.page === 'operator') {
  startOperatorPage(boot);
  operatorPage();
} else adminPages(boot);
