import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { HelloJohnProvider } from '@hellojohn/react';
import { App } from './App';
import { loadConfig } from './config';
import './styles.css';

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');
const root = createRoot(container);

void loadConfig().then((config) => {
  if (config === null) {
    root.render(
      <main className="page">
        <p className="card error" data-testid="config-missing">
          No configuration: serve a <code>/config.json</code> with <code>apiUrl</code>, <code>tenantId</code>{' '}
          and <code>publishableKey</code>, or set <code>VITE_HJ_API_URL</code>, <code>VITE_HJ_TENANT_ID</code>{' '}
          and <code>VITE_HJ_PUBLISHABLE_KEY</code>.
        </p>
      </main>,
    );
    return;
  }
  root.render(
    <StrictMode>
      <HelloJohnProvider
        apiUrl={config.apiUrl}
        tenantId={config.tenantId}
        publishableKey={config.publishableKey}
      >
        <App />
      </HelloJohnProvider>
    </StrictMode>,
  );
});
