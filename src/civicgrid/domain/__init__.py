"""The pure domain: grid map rules, the case lifecycle, deadlines and figures. No framework imports here."""
