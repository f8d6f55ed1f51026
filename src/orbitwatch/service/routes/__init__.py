"""One ``APIRouter`` per resource; :func:`orbitwatch.service.app.create_app` mounts them all."""
