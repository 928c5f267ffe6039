/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_HJ_API_URL?: string;
  readonly VITE_HJ_TENANT_ID?: string;
  readonly VITE_HJ_PUBLISHABLE_KEY?: string;
}
