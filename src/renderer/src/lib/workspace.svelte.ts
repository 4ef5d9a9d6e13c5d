import {
  DEFAULT_SETTINGS,
  type WorkspaceAction,
  type WorkspaceSettings,
} from '../../../shared/contract/coding';
import { api } from './api';

export type View = 'workspace' | 'coders' | 'results' | 'model' | 'imports' | 'keys';
export const VIEWS: Array<{ id: View; label: string }> = [
  { id: 'workspace', label: 'Annotate' },
  { id: 'coders', label: 'Coders' },
  { id: 'results', label: 'Results' },
  { id: 'model', label: 'Model input' },
  { id: 'imports', label: 'Imports' },
  { id: 'keys', label: 'Keys & settings' },
];

export type Overlay = 'none' | 'difference' | 'flow' | 'strain';

/** Workspace-wide state: settings (persisted by the backend), the view, the overlay. */
export const workspace = $state({
  settings: structuredClone(DEFAULT_SETTINGS) as WorkspaceSettings,
  settingsFile: '',
  settingsNotice: '',
  view: 'workspace' as View,
  overlay: 'none' as Overlay,
  showImported: true,
  coder: '',
  /** Bumped whenever annotations change, so lists refresh their statuses. */
  annotationsVersion: 0,
  /** Bumped whenever an unsaved edit is kept or cleared (lib/drafts). */
  draftsVersion: 0,
});

/**
 * The coder this window shows, sent with every request that reads or writes a coder's
 * annotations: another window switching coder must not redirect this one's edits.
 */
export function windowCoder(): string | undefined {
  return workspace.coder || undefined;
}

export async function loadSettings(): Promise<void> {
  const loaded = await api.request('settings.get', {});
  workspace.settings = loaded.settings;
  workspace.settingsFile = loaded.file;
  workspace.settingsNotice = loaded.notice ?? '';
}

/** Saves a change of settings; the backend answers with the merged result. */
export async function saveSettings(
  patch: Partial<Omit<WorkspaceSettings, 'keys'>> & {
    keys?: Partial<Record<WorkspaceAction, string[]>>;
  },
): Promise<void> {
  const saved = await api.request('settings.save', patch);
  workspace.settings = saved.settings;
}

export function nextView(): void {
  const at = VIEWS.findIndex((view) => view.id === workspace.view);
  workspace.view = VIEWS[(at + 1) % VIEWS.length].id;
}

export const PLAYBACK_RATES = [0.05, 0.1, 0.25, 0.5, 1];
