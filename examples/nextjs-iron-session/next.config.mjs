/** @type {import('next').NextConfig} */
const nextConfig = {
  // No X-Powered-By header; nothing else leaves this server but backend calls.
  poweredByHeader: false,
  reactStrictMode: true,
  // Lint is not part of this example's build (no eslint dependency).
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
