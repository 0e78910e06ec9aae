/**
 * Connectors and their lines (§3.1–§3.6, §3.12): imconnector.register / unregister / list, activate,
 * status, connector.data.set, set.error, and the checks the message methods share.
 */
import { RestError, type Ctx, type Params, type Res } from './model.js';
import type { PortalState } from './state.js';
import { isObj, phpEmpty, str, toInt } from './util.js';

const BUILTIN_CONNECTORS: Record<string, string> = {
  livechat: 'Live Chat',
  telegrambot: 'Telegram',
  network: 'Bitrix24.Network',
};

/** Why imconnector.register refuses these params (§3.1), or null when it takes them. */
function registerError(p: Params, idRaw: string, id: string): [string, string] | null {
  if (!idRaw) return ['CONNECTOR_ID_REQUIRED', 'Connector ID is required'];
  if (idRaw.includes('.')) {
    return ['APPLICATION_REGISTRATION_ERROR_POINT', 'The connector ID must not contain a dot'];
  }
  if (!/^[a-z0-9_]+$/.test(id)) {
    return ['APPLICATION_REGISTRATION_ERROR', 'Connector ID may only contain a-z, 0-9 and _'];
  }
  if (phpEmpty(p['NAME'])) return ['NAME_REQUIRED', 'Connector name is required'];
  const icon = p['ICON'];
  if (!isObj(icon) || phpEmpty(icon['DATA_IMAGE'])) {
    return ['ICON_REQUIRED', 'Connector icon (ICON[DATA_IMAGE]) is required'];
  }
  if (phpEmpty(p['PLACEMENT_HANDLER'])) return ['NO_PLACEMENT_HANDLER', 'PLACEMENT_HANDLER is required'];
  if (BUILTIN_CONNECTORS[id] !== undefined) {
    return ['GENERAL_CONNECTOR_REGISTRATION_ERROR', 'A built-in connector with this ID exists'];
  }
  return null;
}

export function mRegister(s: PortalState, c: Ctx): Res {
  const idRaw = str(c.p['ID']).trim();
  const id = idRaw.toLowerCase();
  const refused = registerError(c.p, idRaw, id);
  // §3.1: failures are HTTP 200 with result.result:false
  if (refused) return { result: { result: false, error: refused[0], error_description: refused[1] } };
  const record: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.p)) if (k !== 'auth') record[k] = v;
  record['ID'] = id;
  s.connectorsById.set(id, record); // same ID again = update (§3.1)
  return { result: { result: true } };
}

export function mUnregister(s: PortalState, c: Ctx): Res {
  const id = str(c.p['ID']).trim().toLowerCase();
  if (!id || !s.connectorsById.has(id)) {
    return {
      result: {
        result: false,
        error: 'APPLICATION_UNREGISTRATION_ERROR',
        error_description: 'Connector is not registered',
      },
    };
  }
  dropConnector(s, id); // §3.2: also removes the status rows of all lines
  return { result: { result: true } };
}

export function dropConnector(s: PortalState, id: string): void {
  s.connectorsById.delete(id);
  for (const key of [...s.lineStates.keys()]) if (key.startsWith(`${id}|`)) s.lineStates.delete(key);
}

export function mList(s: PortalState, c: Ctx): Res {
  if (!c.user.ADMIN) throw new RestError(400, 'ACCESS_DENIED', 'Access denied'); // §3.3
  const out: Record<string, unknown> = { ...BUILTIN_CONNECTORS };
  for (const [id, cn] of s.connectorsById) out[id] = str(cn['NAME']) || id;
  return { result: out };
}

/** Flag of a registered connector: only real booleans count, else the default (§3.1). */
export function flag(s: PortalState, connector: string, name: string, def: boolean): boolean {
  const v = s.connectorsById.get(connector)?.[name];
  return typeof v === 'boolean' ? v : def;
}

export function argConnector(p: Params): string {
  const cn = str(p['CONNECTOR']).trim().toLowerCase();
  if (!cn) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'CONNECTOR' is null or empty");
  return cn;
}

export function argLine(p: Params, required = true): number {
  if (phpEmpty(p['LINE'])) {
    if (!required) return 0;
    throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'LINE' is null or empty");
  }
  const line = toInt(p['LINE']);
  if (line === null) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'LINE' must be an integer");
  return line;
}

export function requireProvider(s: PortalState, cn: string): void {
  if (!s.connectorsById.has(cn)) {
    throw new RestError(
      400,
      'IMCONNECTOR_NO_CORRECT_PROVIDER',
      'Incorrect connector ID or the connector is not registered',
    );
  }
}

export function lineKey(cn: string, line: number): string {
  return `${cn}|${line}`;
}

/** STATUS = active ∧ connected ∧ registered ∧ no error (§3.5); activate sets all three (core). */
export function lineUp(s: PortalState, cn: string, line: number): boolean {
  const st = s.lineStates.get(lineKey(cn, line));
  return !!st && st.active && !st.error;
}

export function requireActiveLine(s: PortalState, cn: string, line: number): void {
  if (!s.lines.some((l) => l.ID === line) || !lineUp(s, cn, line)) {
    throw new RestError(400, 'NOT_ACTIVE_LINE', 'The open line is not active for this connector');
  }
}

export function mActivate(s: PortalState, c: Ctx): Res {
  const cn = argConnector(c.p);
  const line = argLine(c.p);
  if (!('ACTIVE' in c.p)) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'ACTIVE' is null or empty");
  requireProvider(s, cn);
  const key = lineKey(cn, line);
  if (phpEmpty(c.p['ACTIVE'])) {
    // §3.4 core: disabling deletes the status record of that line, data.set data included
    s.lineStates.delete(key);
  } else {
    // §3.4: any non-empty value enables ("N" too); clears the error flag
    const st = s.lineStates.get(key) ?? { active: false, error: false, data: null };
    st.active = true;
    st.error = false;
    s.lineStates.set(key, st);
  }
  return { result: true };
}

export function mStatus(s: PortalState, c: Ctx): Res {
  const cn = argConnector(c.p);
  const line = argLine(c.p, false); // §3.5: LINE defaults to 0
  requireProvider(s, cn);
  const st = line === 0 ? undefined : s.lineStates.get(lineKey(cn, line));
  const configured = !!st?.active && s.lines.some((l) => l.ID === line);
  return {
    result: {
      LINE: line,
      CONNECTOR: cn,
      ERROR: !!st?.error,
      CONFIGURED: configured,
      STATUS: configured && !st?.error,
    },
  };
}

export function mDataSet(s: PortalState, c: Ctx): Res {
  const cn = argConnector(c.p);
  const line = argLine(c.p);
  const data = c.p['DATA'];
  if (!isObj(data) || phpEmpty(data)) {
    throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'DATA' is null or empty");
  }
  requireProvider(s, cn);
  const key = lineKey(cn, line);
  const st = s.lineStates.get(key) ?? { active: false, error: false, data: null };
  // §3.6: keys case-insensitive; core merges the non-empty keys into what is stored
  const merged: Record<string, unknown> = { ...(st.data ?? {}) };
  for (const [k, v] of Object.entries(data)) if (!phpEmpty(v)) merged[k.toUpperCase()] = v;
  st.data = merged;
  s.lineStates.set(key, st);
  return { result: true };
}

export function mSetError(s: PortalState, c: Ctx): Res {
  const cn = argConnector(c.p);
  const line = argLine(c.p);
  requireProvider(s, cn);
  const st = s.lineStates.get(lineKey(cn, line));
  if (st) st.error = true; // §3.12: re-activate clears it
  return { result: true };
}

export function lineStatus(
  s: PortalState,
  line: number,
  connector: string,
): { active: boolean; data: Record<string, unknown> | null; error: boolean } {
  const st = s.lineStates.get(lineKey(connector.toLowerCase(), line));
  if (!st) return { active: false, data: null, error: false };
  return { active: st.active, data: st.data ? { ...st.data } : null, error: st.error };
}

export function connectors(s: PortalState): Array<Record<string, unknown>> {
  return [...s.connectorsById.values()].map((c) => ({ ...c }));
}
