// The screener's two pages: the dashboard and the user's screens.
import { NavLink } from "react-router-dom";

export function ScreenerNav() {
  return (
    <nav aria-label="Screener" className="sub-nav">
      <ul>
        <li>
          <NavLink to="/screener" end>
            Dashboard
          </NavLink>
        </li>
        <li>
          <NavLink to="/screener/screens">My screens</NavLink>
        </li>
      </ul>
    </nav>
  );
}
