"use client";
// The profile page's client part: #reload fetches /api/me from the browser and
// shows the name again; a 401 sends the browser to /login (the seed's
// client-side redirect). No token ever reaches this code.

import { useRef, useState } from "react";

export default function ProfileView({ firstName, lastName }: { firstName: string; lastName: string }) {
  const [name, setName] = useState(firstName);
  const [status, setStatus] = useState("");
  const nameRef = useRef<HTMLSpanElement>(null);

  async function reload() {
    setStatus("loading…");
    try {
      const res = await fetch("/api/me", { credentials: "same-origin", cache: "no-store" });
      if (res.status === 401) {
        window.location.href = "/login";
        return;
      }
      if (!res.ok) {
        setStatus(`could not reload (HTTP ${res.status}); try again`);
        return;
      }
      const body = (await res.json()) as { data?: { firstName?: string } };
      const fresh = body.data?.firstName ?? "";
      setName(fresh);
      // Write the text too: React skips the render when the name did not
      // change, and a test (or an extension) may have altered the node.
      if (nameRef.current) {
        nameRef.current.textContent = fresh;
      }
      setStatus("");
    } catch {
      setStatus("could not reach the server; try again");
    }
  }

  return (
    <main>
      <h1>Profile</h1>
      <p>
        Hello, <span id="first-name" ref={nameRef}>
          {name}
        </span> {lastName}
      </p>
      <p>
        <button id="reload" type="button" onClick={reload}>
          Reload
        </button>{" "}
        <span id="status" role="status">
          {status}
        </span>
      </p>
      <form method="post" action="/logout">
        <button id="logout" type="submit">
          Log out
        </button>
      </form>
    </main>
  );
}
