/**
 * The sandbox portal page's side of the frame protocol: what Bitrix24's page does for an app in its
 * iframe when the app's script (BX24 or the SDK's B24Frame, reference §1.4, §8) posts it a message.
 * Like the rest of the sandbox portal it takes nothing from src/ (the app under test).
 *
 * A message from the frame is `command[:params]:callbackId:APP_SID` (params JSON when present); the
 * answer goes back to the frame's origin as `callbackId:<json>`. Answered here:
 *   getInitData       the frame's auth and context (`MessageInitData` of the SDK); INSTALL while the
 *                     installation is not finished
 *   resizeWindow      the frame is made as tall as asked (never below the room the page gives it)
 *   setInstallFinish  the portal records the installation as finished (§1.4), through INSTALL_FINISH_PATH
 * Other commands are left unanswered (the SDK gives up on its own on those it does not await).
 */

/** Where the portal page reports installFinish to its own server (the sandbox's stand-in for Bitrix24's). */
export const INSTALL_FINISH_PATH = '/app/install-finish';

export interface FrameInit {
  DOMAIN: string;
  PROTOCOL: string;
  LANG: string;
  PATH: string;
  MEMBER_ID: string;
  IS_ADMIN: boolean;
  AUTH_ID: string;
  REFRESH_ID: string;
  AUTH_EXPIRES: string;
  APP_OPTIONS: Record<string, unknown>;
  USER_OPTIONS: Record<string, unknown>;
  PLACEMENT: string;
  PLACEMENT_OPTIONS: Record<string, unknown>;
  INSTALL: boolean;
  FIRST_RUN: boolean;
}

/** JSON that is safe inside an inline <script>. */
const inlineJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/** The inline script of the portal page: answers the frame `frameId`, whose app lives at `appOrigin`. */
export function frameHostScript(o: {
  frameId: string;
  appOrigin: string;
  appSid: string;
  init: FrameInit;
}): string {
  return `<script>
(function () {
  var frame = document.getElementById(${inlineJson(o.frameId)});
  var appOrigin = ${inlineJson(o.appOrigin)};
  var appSid = ${inlineJson(o.appSid)};
  var init = ${inlineJson(o.init)};
  var answer = function (callback, data) {
    frame.contentWindow.postMessage(callback + ':' + JSON.stringify(data === undefined ? {} : data), appOrigin);
  };
  window.addEventListener('message', function (e) {
    if (e.source !== frame.contentWindow || e.origin !== appOrigin || typeof e.data !== 'string') return;
    var parts = e.data.split(':');
    if (parts.length < 3 || parts[parts.length - 1] !== appSid) return;
    var command = parts[0];
    var callback = parts[parts.length - 2];
    var raw = parts.slice(1, -2).join(':');
    var params = {};
    try { params = raw ? JSON.parse(raw) : {}; } catch (err) { params = {}; }
    if (command === 'getInitData') answer(callback, init);
    else if (command === 'resizeWindow') {
      var height = Number(params.height);
      if (height > 0) frame.style.minHeight = Math.max(640, Math.ceil(height)) + 'px';
      answer(callback);
    } else if (command === 'setInstallFinish') {
      fetch(${inlineJson(INSTALL_FINISH_PATH)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ APP_SID: appSid }) })
        .then(function (r) { if (r.ok) { init.INSTALL = false; answer(callback); } });
    }
  });
})();
</script>`;
}
