/** The UI store, provided to every panel. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import type { UiState } from './state/ui';

export const UiContext = createContext<StoreApi<UiState> | null>(null);

/** Selects from the UI store; select primitives or stable references (no fresh objects). */
export function useUi<T>(selector: (s: UiState) => T): T {
  const store = useContext(UiContext);
  if (!store) throw new Error('useUi outside <UiContext.Provider>');
  return useStore(store, selector);
}
