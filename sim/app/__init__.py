"""The browser app (Mesa SolaraViz): the page and its parts."""
