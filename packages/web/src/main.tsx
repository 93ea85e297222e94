import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import './styles.css';

createRoot(document.getElementById('root')!).render(<App />);

// The service worker (dist/sw.js, built by scripts/service-worker-plugin.ts) lets the app start
// offline and makes it installable. The dev server has none: registering there just fails.
if ('serviceWorker' in navigator) {
  addEventListener('load', () => void navigator.serviceWorker.register('/sw.js').catch(() => undefined));
}
